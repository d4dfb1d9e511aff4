from . import api
from . import app
