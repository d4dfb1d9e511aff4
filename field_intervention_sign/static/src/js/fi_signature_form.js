import { _t } from "@web/core/l10n/translation";
import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { redirect } from "@web/core/utils/urls";
import { onMounted, useState } from "@odoo/owl";
import "@portal/signature_form/signature_form";

const SignatureForm = registry.category("public_components").get("portal.signature_form");

/**
 * portal.signature_form (name and signature pad) plus what an intervention report
 * signature needs: optional email, reserves, the consent sentence and an optional,
 * explicitly consented geolocation.
 */
export class FiSignatureForm extends SignatureForm {
    static template = "field_intervention_sign.FiSignatureForm";

    setup() {
        super.setup();
        // the submit button stays disabled until the pad holds a signature
        this.signature.isSignatureEmpty = true;
        this.extra = useState({
            email: this.props.defaultEmail || "",
            reserves: "",
            geoConsent: false,
            latitude: null,
            longitude: null,
            geoError: false,
            // the pad is sized and drawn when its dialog is shown: sign only after that
            ready: false,
        });
        onMounted(() => {
            this.rootRef.el.closest(".modal")?.addEventListener("shown.bs.modal", () => {
                this.extra.ready = true;
            });
        });
    }

    get sendLabel() {
        return this.props.sendLabel || _t("Sign");
    }

    onGeoConsentChange(ev) {
        this.extra.geoConsent = ev.target.checked;
        this.extra.geoError = false;
        if (!ev.target.checked) {
            this.extra.latitude = this.extra.longitude = null;
            return;
        }
        if (!navigator.geolocation) {
            this.extra.geoError = true;
            return;
        }
        navigator.geolocation.getCurrentPosition(
            (position) => {
                this.extra.latitude = position.coords.latitude;
                this.extra.longitude = position.coords.longitude;
            },
            () => {
                this.extra.geoError = true;
            },
            { timeout: 10000, maximumAge: 60000 }
        );
    }

    async onClickSubmit() {
        if (this.state.submitting) {
            return;
        }
        this.state.submitting = true;
        this.state.error = false;
        const data = await rpc(this.props.callUrl, {
            name: this.signature.name,
            signature: this.signature.getSignatureImage().split(",")[1],
            email: this.extra.email,
            reserves: this.extra.reserves,
            geo_consent: this.extra.geoConsent && this.extra.latitude !== null,
            latitude: this.extra.latitude,
            longitude: this.extra.longitude,
        }).catch(() => ({ error: _t("The network failed: your signature was not sent, try again.") }));
        if (data.force_refresh && data.redirect_url) {
            redirect(data.redirect_url);
            return new Promise(() => {});
        }
        this.state.submitting = false;
        this.state.error = data.error || false;
    }
}

registry.category("public_components").add("field_intervention_sign.signature_form", FiSignatureForm);
