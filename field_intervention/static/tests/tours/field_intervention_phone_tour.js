import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("field_intervention_phone_tour", {
    url: "/odoo/action-field_intervention.field_intervention_action_my",
    steps: () => [
        {
            content: "Open today's intervention from My Interventions",
            trigger: ".o_kanban_record:contains('Hôtel du Parc')",
            run: "click",
        },
        {
            content: "Start the intervention",
            trigger: ".o_form_view button[name='action_start']",
            run: "click",
        },
        {
            content: "The timer runs",
            trigger: ".o_form_view button[name='action_stop']",
        },
        {
            content: "Add a part",
            trigger: ".o_field_widget[name='part_ids'] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Open the product picker (a full-screen dialog on a phone)",
            trigger: ".o_field_widget[name='part_ids'] .o_data_row .o_field_widget[name='product_id'] input",
            run: "click",
        },
        {
            content: "Show the search bar of the picker",
            trigger: ".modal .o_control_panel button:has(.fa-search)",
            run: "click",
        },
        {
            trigger: ".modal .o_searchview_input",
            run: "edit Joint torique",
        },
        {
            trigger: ".modal .o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Pick the part",
            trigger: ".modal .o_kanban_record:contains('Joint torique 12mm')",
            run: "click",
        },
        {
            content: "Set the quantity",
            trigger: ".o_field_widget[name='part_ids'] .o_data_row .o_field_widget[name='quantity'] input",
            run: "edit 2",
        },
        {
            content: "Answer the checklist",
            trigger: ".o_field_widget[name='checklist_line_ids'] .o_data_row td[name='result']",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name='checklist_line_ids'] .o_data_row .o_field_widget[name='result'] select",
            run: 'select "done"',
        },
        {
            content: "Stop the timer (saves the form)",
            trigger: ".o_form_view button[name='action_stop']",
            run: "click",
        },
        {
            content: "Mark it done",
            trigger: ".o_form_view button[name='action_done']",
            run: "click",
        },
        {
            content: "The intervention is done",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});
