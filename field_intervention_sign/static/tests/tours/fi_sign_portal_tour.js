import { registry } from "@web/core/registry";

function signSteps() {
    return [
        {
            content: "Open the signature dialog",
            trigger: "a.o_fi_portal_sign",
            run: "click",
        },
        {
            content: "The name is prefilled from the site contact",
            trigger: "#fi_modal_sign .o_web_sign_name_and_signature input:value(Jeanne Durand)",
        },
        {
            content: "Optional reserves",
            trigger: "#fi_modal_sign textarea.o_fi_sign_reserves",
            run: "edit Rayure sur la porte",
        },
        {
            content: "The consent sentence is shown",
            trigger: "#fi_modal_sign .o_fi_consent:contains('By signing')",
        },
        {
            content: "Sign",
            trigger: "#fi_modal_sign .o_portal_sign_submit:enabled",
            run: "click",
        },
        {
            content: "Signed: thank you message",
            trigger: ".o_fi_sign_ok",
        },
        {
            trigger: ".o_fi_signed_by:contains('Jeanne Durand')",
        },
        {
            content: "The answer did not wait for the signed PDF: it is being prepared",
            trigger: "a.o_fi_signed_pdf_pending",
        },
    ];
}

// A customer without account opens the emailed link (access token).
registry.category("web_tour.tours").add("field_intervention_sign_portal_token_tour", {
    steps: signSteps,
});

// A portal user finds the report under My Interventions.
registry.category("web_tour.tours").add("field_intervention_sign_portal_user_tour", {
    url: "/my/interventions",
    steps: () => [
        {
            content: "Open the report to sign",
            trigger: "tr.o_fi_portal_row a:contains('BI/')",
            run: "click",
        },
        ...signSteps(),
    ],
});
