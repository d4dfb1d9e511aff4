import { registry } from "@web/core/registry";

// The customer signs on the technician's phone (data created by test_ui.py).
registry.category("web_tour.tours").add("field_intervention_sign_device_tour", {
    steps: () => [
        {
            content: "The technician hands the phone over: Customer Signs",
            trigger: ".o_form_view button.o_fi_customer_sign",
            run: "click",
        },
        {
            content: "The customer sees what is signed",
            trigger: ".modal .o_fi_sign_summary:contains('Remplacement de la résistance du four.')",
        },
        {
            content: "The signer's name is prefilled from the site contact",
            trigger: ".modal .o_field_widget[name='signer_name'] input:value(Jeanne Durand)",
        },
        {
            content: "Optional reserves",
            trigger: ".modal .o_field_widget[name='reserves'] textarea",
            run: "edit Porte du four rayée",
        },
        {
            content: "The consent sentence is shown",
            trigger: ".modal .o_fi_consent:contains('By signing')",
        },
        {
            content: "Open the signature pad",
            trigger: ".modal .o_fi_signature .o_signature",
            run: "click",
        },
        {
            content: "The name is drawn as a signature; adopt it",
            trigger: ".modal .o_web_sign_name_and_signature canvas",
        },
        {
            trigger: ".modal footer button.btn-primary:enabled:contains('Adopt')",
            run: "click",
        },
        {
            content: "Sign",
            trigger: ".modal button.o_fi_confirm_sign",
            run: "click",
        },
        {
            content: "The intervention is signed",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Signed')",
        },
    ],
});
