from . import test_pa_bridge
