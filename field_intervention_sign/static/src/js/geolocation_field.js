import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { BooleanField, booleanField } from "@web/views/fields/boolean/boolean_field";

/**
 * Checkbox "share my location": the browser's geolocation is asked only when the
 * signer ticks it (explicit consent); the position fills the latitude/longitude fields.
 */
export class FiGeolocationField extends BooleanField {
    static template = "field_intervention_sign.FiGeolocationField";

    setup() {
        super.setup();
        this.notification = useService("notification");
    }

    onChange(newValue) {
        super.onChange(newValue);
        if (!newValue) {
            this.props.record.update({ latitude: 0, longitude: 0 });
            return;
        }
        if (!navigator.geolocation) {
            this.refuse(_t("This device cannot share its location."));
            return;
        }
        navigator.geolocation.getCurrentPosition(
            (position) => {
                this.props.record.update({
                    latitude: position.coords.latitude,
                    longitude: position.coords.longitude,
                });
            },
            () => this.refuse(_t("The location could not be obtained.")),
            { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
        );
    }

    refuse(message) {
        this.notification.add(message, { type: "warning" });
        super.onChange(false);
    }
}

registry.category("fields").add("fi_geolocation", {
    ...booleanField,
    component: FiGeolocationField,
});
