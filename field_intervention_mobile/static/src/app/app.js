// The technicians' phone app: the day's interventions, worked offline, sent when the network is
// back. The local state of an intervention = the server's last version + the changes not yet sent.

import * as db from "./db.js";
import { consentSentence, contentAndHash, sha256Hex } from "./content.js";
import { Runner } from "./retry.js";
import {
    NetworkDown,
    SessionExpired,
    WrongUser,
    deviceId,
    dismissOp,
    downloadDay,
    forgetAnsweredImages,
    lockPending,
    queueOp,
    setOwner,
    syncNow,
    unlockOps,
} from "./sync.js";
import { base64FromBytes, duration, fmt, h, localDate, localTime } from "./ui.js";

const T = JSON.parse(document.getElementById("fi-strings").textContent);
const CONFIG = JSON.parse(document.getElementById("fi-config").textContent);
// the logged-in user's own store and queue: another user's data is never opened in this page
db.useStore(CONFIG.store);
setOwner(CONFIG.uid);
const LANG = (document.documentElement.lang || "").replace("_", "-") || undefined;
const root = document.getElementById("fi-app");
const LOCKED = new Set(["done", "signed", "cancel", "disputed"]);
const MAX_PHOTO = 1280;

const state = {
    base: [],
    ops: [],
    views: new Map(),
    products: [],
    checklistResults: [],
    downloadedAt: null,
    online: navigator.onLine,
    busy: "",
    notice: "",
    noticeLogin: false,
    partQuery: "",
    partQuantity: "1",
    wrongUser: false,
    loggingOut: false,
    changes: 0,
};

// ---------------------------------------------------------------- local state
function closeSegment(item, at) {
    const open = item.time_segments.find((segment) => !segment[1]);
    if (open) {
        open[1] = at;
    }
}

/** Apply one unsent change to the local copy of its intervention (same rules as the server). */
function applyOp(item, op) {
    const payload = op.payload;
    switch (op.type) {
        case "start":
            item.time_segments.push([op.at, null]);
            Object.assign(item, { state: "in_progress", running: true, paused: false });
            break;
        case "resume":
            item.time_segments.push([op.at, null]);
            Object.assign(item, { running: true, paused: false });
            break;
        case "pause":
            closeSegment(item, op.at);
            Object.assign(item, { running: false, paused: true });
            break;
        case "stop":
            closeSegment(item, op.at);
            Object.assign(item, { running: false, paused: false });
            break;
        case "set_text":
            for (const field of ["work_description", "findings"]) {
                if (field in payload) {
                    item[field] = payload[field];
                }
            }
            break;
        case "set_checklist": {
            const line = item.checklist.find((row) => row.id === payload.line_id);
            if (line) {
                Object.assign(line, { result: payload.result, note: payload.note });
            }
            break;
        }
        case "add_part": {
            const product = state.products.find((row) => row.id === payload.product_id) || {};
            item.parts.push({
                id: null,
                key: op.key,
                product_id: payload.product_id,
                name: product.name || "",
                quantity: payload.quantity,
                uom: product.uom_name || "",
                product_content: product.content || [],
            });
            break;
        }
        case "remove_part":
            item.parts = item.parts.filter((part) =>
                payload.part_id ? part.id !== payload.part_id : part.key !== payload.part_key
            );
            break;
        case "add_photo":
            item.photos.push({ id: null, key: op.key, name: payload.name, sha256: op.local.sha256, image: payload.image });
            break;
        case "done":
            item.state = "done";
            break;
        case "sign":
            item.state = "signed";
            item.signed_here = true;
            break;
    }
}

function computeViews() {
    const views = new Map(state.base.map((item) => [item.id, structuredClone(item)]));
    for (const op of state.ops) {
        if (op.status === "pending" && views.has(op.intervention_id)) {
            applyOp(views.get(op.intervention_id), op);
        }
    }
    state.views = views;
}

async function loadState() {
    // a change stored while this reads (a retry's reload runs beside the technician's taps) would
    // vanish from the screen until the next reload: read again until no change came in between
    let seen;
    let values;
    do {
        seen = state.changes;
        values = await Promise.all([
            db.allInterventions(),
            db.allOps(),
            db.getMeta("products"),
            db.getMeta("checklist_results"),
            db.getMeta("downloaded_at"),
        ]);
    } while (seen !== state.changes);
    const [base, ops, products, checklistResults, downloadedAt] = values;
    state.base = base;
    state.ops = ops.sort((a, b) => a.seq - b.seq);
    state.products = products || [];
    state.checklistResults = checklistResults || [];
    state.downloadedAt = downloadedAt || null;
    computeViews();
}

const pending = () => state.ops.filter((op) => op.status === "pending" && op.owner === CONFIG.uid);
const problems = () => state.ops.filter((op) => ["conflict", "error"].includes(op.status) && !op.dismissed);

/** A change made by the technician: stored, applied at once, sent when possible. */
async function change(item, type, payload = {}, { local = {}, rerender = true } = {}) {
    const op = await queueOp(item.id, type, payload, local);
    state.changes++;
    state.ops.push(op);
    computeViews();
    if (rerender) {
        render();
    } else {
        renderBanner();
    }
    trySync();
    return op;
}

// ---------------------------------------------------------------- network
function networkFailed(error) {
    if (error instanceof WrongUser) {
        // somebody else logged in on this phone: this page sends and downloads nothing more
        state.wrongUser = true;
        state.online = true;
        state.notice = error.message || T.wrong_user;
        state.noticeLogin = true;
    } else if (error instanceof SessionExpired) {
        state.online = true;
        state.notice = T.session_expired;
        state.noticeLogin = true;
    } else if (error instanceof NetworkDown) {
        state.online = false;
        state.notice = "";
    } else {
        state.online = true;
        state.notice = fmt(T.server_error, { message: error.message });
    }
}

/** One attempt: send the queue (and download the days when asked). Answers "retry" when the
 * network failed or hung while changes wait: the runner tries again by itself, later. */
async function syncOnce({ download = false } = {}) {
    if (state.wrongUser || state.loggingOut) {
        return "stop";
    }
    let changed = false;
    let outcome = "done";
    try {
        if (pending().length) {
            state.busy = T.syncing;
            renderBanner();
            const { sent } = await syncNow();
            changed = sent > 0;
            state.online = true;
        }
        if (download) {
            state.busy = T.downloading;
            renderBanner();
            await downloadDay(3);
            changed = true;
            state.online = true;
        }
        state.notice = "";
        state.noticeLogin = false;
    } catch (error) {
        networkFailed(error);
        changed = true;  // a batch may have been answered before the failure
        outcome = error instanceof NetworkDown ? "retry" : "stop";
    } finally {
        state.busy = "";
        if (changed) {
            await loadState();
            softRender();
        } else {
            renderBanner();
        }
    }
    return outcome === "retry" && pending().length ? "retry" : outcome;
}

const runner = new Runner(syncOnce, () => renderBanner());

/** Send now, or right after the attempt under way (never dropped). */
function trySync(options = {}) {
    return runner.trigger(options);
}

// ---------------------------------------------------------------- screens
function stateLabel(item) {
    if (item.signed_here) {
        return T.signed_pending;
    }
    return T[`state_${item.state}`] || item.state;
}

function worked(item) {
    const now = Date.now();
    return item.time_segments.reduce((total, [start, end]) => {
        const from = Date.parse(start);
        const to = end ? Date.parse(end) : now;
        return total + Math.max(0, to - from) / 1000;
    }, 0);
}

function renderBanner() {
    const bar = document.getElementById("fi-banner");
    if (!bar) {
        return;
    }
    const count = pending().length;
    const refused = problems().length;
    const sending = state.busy === T.syncing;
    const retryAt = count && !runner.busy ? runner.retryAt : null;
    const children = [
        h(
            "div",
            {
                class: `fi-status ${state.online ? "fi-online" : "fi-offline"}`,
                id: "fi-status",
                "data-online": String(state.online),
                "data-sending": String(sending),
            },
            sending ? T.sending : state.online ? T.online : T.offline
        ),
        h(
            "div",
            { class: `fi-pending ${count ? "fi-has-pending" : ""}`, id: "fi-pending", "data-count": String(count) },
            // the next try is announced inside the row of the waiting work, which keeps its
            // height: the page does not move under the technician's finger at each attempt
            h(
                "div",
                { class: "fi-pending-text" },
                count === 0 ? T.all_sent : count === 1 ? T.pending_one : fmt(T.pending_many, { count }),
                retryAt
                    ? h(
                          "small",
                          { class: "fi-retry", id: "fi-retry", "data-at": retryAt.toISOString() },
                          fmt(T.retry_at, { time: localTime(retryAt.toISOString(), LANG) })
                      )
                    : null
            ),
            count
                ? h("button", { class: "fi-btn fi-btn-small", id: "fi-sync", disabled: Boolean(state.busy), onclick: () => trySync({ download: true }) }, state.busy || T.sync)
                : null
        ),
        refused
            ? h("a", { class: "fi-problems", href: "#/queue", id: "fi-problems" }, fmt(T.problems, { count: refused }))
            : null,
        state.notice
            ? h(
                  "div",
                  { class: "fi-notice", id: "fi-notice" },
                  state.notice,
                  state.noticeLogin ? h("a", { class: "fi-btn fi-btn-small", href: `/web/login?redirect=${encodeURIComponent(CONFIG.app)}` }, T.login) : null
              )
            : null,
    ];
    bar.replaceChildren(...children.filter(Boolean));
}

function header(title, back) {
    return h(
        "header",
        { class: "fi-header" },
        back ? h("a", { class: "fi-back", href: back, "aria-label": T.back }, "‹") : null,
        h("h1", {}, title)
    );
}

function listScreen() {
    const items = [...state.views.values()].sort((a, b) => String(a.planned_date).localeCompare(String(b.planned_date)));
    const groups = new Map();
    for (const item of items) {
        const day = item.planned_date ? localDate(item.planned_date, LANG) : "";
        if (!groups.has(day)) {
            groups.set(day, []);
        }
        groups.get(day).push(item);
    }
    const todayLabel = localDate(new Date().toISOString(), LANG);
    const counts = new Map();
    for (const op of pending()) {
        counts.set(op.intervention_id, (counts.get(op.intervention_id) || 0) + 1);
    }
    return h(
        "main",
        { class: "fi-page", id: "fi-list" },
        header(T.app_title),
        h(
            "p",
            { class: "fi-muted" },
            state.downloadedAt ? fmt(T.downloaded_at, { time: localTime(state.downloadedAt, LANG) }) : T.never_downloaded
        ),
        h("button", { class: "fi-btn fi-btn-wide", id: "fi-download", disabled: Boolean(state.busy), onclick: () => trySync({ download: true }) }, state.busy || T.refresh),
        h("a", { class: "fi-btn fi-btn-small fi-logout", id: "fi-logout", href: "#/logout" }, T.logout),
        items.length === 0 && state.downloadedAt ? h("p", {}, T.no_intervention) : null,
        [...groups.entries()].map(([day, rows]) =>
            h(
                "section",
                { class: "fi-day" },
                h("h2", {}, day === todayLabel ? `${T.today} · ${day}` : day.charAt(0).toUpperCase() + day.slice(1)),
                rows.map((item) =>
                    h(
                        "a",
                        { class: `fi-card fi-state-${item.state}`, href: `#/i/${item.id}`, "data-id": String(item.id) },
                        h("div", { class: "fi-card-top" }, h("strong", {}, localTime(item.planned_date, LANG)), h("span", { class: "fi-badge" }, stateLabel(item))),
                        h("div", { class: "fi-card-title" }, item.customer.name),
                        h("div", { class: "fi-muted" }, `${item.name} · ${item.mission.name}`),
                        counts.get(item.id) ? h("div", { class: "fi-card-pending" }, fmt(T.pending_many, { count: counts.get(item.id) })) : null
                    )
                )
            )
        )
    );
}

function timerBlock(item) {
    const buttons = [];
    const big = (id, label, type, cls = "") =>
        h("button", { class: `fi-btn fi-btn-big ${cls}`, id, onclick: () => change(item, type) }, label);
    if (item.state === "draft") {
        buttons.push(big("fi-start", T.start, "start", "fi-go"));
    } else if (item.state === "in_progress") {
        if (item.running) {
            buttons.push(big("fi-pause", T.pause, "pause"), big("fi-stop", T.stop, "stop", "fi-halt"));
        } else if (item.paused) {
            buttons.push(big("fi-resume", T.resume, "resume", "fi-go"), big("fi-stop", T.stop, "stop", "fi-halt"));
        } else {
            buttons.push(big("fi-resume", T.resume, "resume", "fi-go"));
        }
    }
    return h(
        "section",
        { class: "fi-block fi-timer" },
        h("h2", {}, T.timer),
        h("div", { class: "fi-elapsed", id: "fi-elapsed", "data-running": String(Boolean(item.running)) }, duration(worked(item))),
        h("div", { class: "fi-muted" }, item.running ? T.running : item.paused ? T.paused : ""),
        h("div", { class: "fi-timer-buttons" }, buttons),
        item.time_segments.length
            ? h(
                  "ul",
                  { class: "fi-segments" },
                  item.time_segments.map(([start, end]) => h("li", {}, `${localTime(start, LANG)} → ${end ? localTime(end, LANG) : "…"}`))
              )
            : null
    );
}

function textBlock(item, field, label, locked) {
    return h(
        "section",
        { class: "fi-block" },
        h("label", { for: `fi-${field}` }, h("h2", {}, label)),
        h("textarea", {
            id: `fi-${field}`,
            rows: 4,
            disabled: locked,
            value: item[field] || "",
            onchange: (event) => change(item, "set_text", { [field]: event.target.value }, { rerender: false }),
        })
    );
}

function checklistBlock(item, locked) {
    if (!item.checklist.length) {
        return null;
    }
    return h(
        "section",
        { class: "fi-block" },
        h("h2", {}, T.checklist),
        item.checklist.map((line) => {
            const send = (row) =>
                change(item, "set_checklist", {
                    line_id: line.id,
                    result: row.querySelector("select").value || false,
                    note: row.querySelector("input").value,
                }, { rerender: false });
            const row = h(
                "div",
                { class: "fi-check", "data-line": String(line.id) },
                h("div", { class: "fi-check-name" }, line.name),
                h(
                    "select",
                    { disabled: locked, onchange: () => send(row), "aria-label": line.name },
                    h("option", { value: "" }, "—"),
                    state.checklistResults.map(([key, label]) => h("option", { value: key, selected: line.result === key }, label))
                ),
                h("input", { type: "text", placeholder: T.note, value: line.note || "", disabled: locked, onchange: () => send(row) })
            );
            return row;
        })
    );
}

function partsBlock(item, locked) {
    const results = h("div", { class: "fi-results", id: "fi-product-results" });
    const quantity = h("input", { type: "number", id: "fi-quantity", min: "0.01", step: "any", value: state.partQuantity, inputmode: "decimal", "aria-label": T.quantity, onchange: () => { state.partQuantity = quantity.value; } });
    const showResults = () => {
        const words = state.partQuery.trim().toLowerCase();
        const found = words
            ? state.products.filter((product) => `${product.name} ${product.default_code || ""}`.toLowerCase().includes(words)).slice(0, 20)
            : [];
        results.replaceChildren(
            ...found.map((product) =>
                h(
                    "button",
                    {
                        class: "fi-btn fi-result",
                        "data-product": String(product.id),
                        onclick: () => {
                            const qty = parseFloat(quantity.value);
                            if (qty > 0) {
                                state.partQuery = "";
                                state.partQuantity = "1";
                                change(item, "add_part", { product_id: product.id, quantity: qty });
                            }
                        },
                    },
                    `${T.add} · ${product.default_code ? `[${product.default_code}] ` : ""}${product.name}`
                )
            )
        );
    };
    // the search survives a re-render (a sync may end while the technician looks for a part)
    const search = h("input", {
        type: "search",
        id: "fi-product-search",
        placeholder: T.search_product,
        value: state.partQuery,
        oninput: () => {
            state.partQuery = search.value;
            showResults();
        },
    });
    showResults();
    return h(
        "section",
        { class: "fi-block" },
        h("h2", {}, T.parts),
        h(
            "ul",
            { class: "fi-parts", id: "fi-parts" },
            item.parts.map((part) =>
                h(
                    "li",
                    {},
                    h("span", {}, `${part.name} × ${Number(part.quantity).toLocaleString(LANG)} ${part.uom}`),
                    locked
                        ? null
                        : h(
                              "button",
                              {
                                  class: "fi-btn fi-btn-small",
                                  onclick: () => change(item, "remove_part", part.id ? { part_id: part.id } : { part_key: part.key }),
                              },
                              T.remove
                          )
                )
            )
        ),
        locked ? null : h("div", { class: "fi-part-add" }, search, quantity),
        locked ? null : results
    );
}

async function resizePhoto(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_PHOTO / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
    return new Uint8Array(await blob.arrayBuffer());
}

function photosBlock(item, locked) {
    const input = h("input", {
        type: "file",
        id: "fi-photo-input",
        accept: "image/*",
        capture: "environment",
        class: "fi-hidden-input",
        onchange: async () => {
            for (const file of input.files) {
                try {
                    const bytes = await resizePhoto(file);
                    const sha256 = await sha256Hex(bytes);
                    const name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
                    await change(item, "add_photo", { name, image: base64FromBytes(bytes) }, { local: { sha256 } });
                } catch {
                    state.notice = T.photo_error;
                    renderBanner();
                }
            }
        },
    });
    return h(
        "section",
        { class: "fi-block" },
        h("h2", {}, T.photos),
        h(
            "div",
            { class: "fi-photos", id: "fi-photos" },
            item.photos.map((photo) =>
                h("img", {
                    class: "fi-thumb",
                    alt: photo.name || "",
                    src: photo.image
                        ? `data:image/jpeg;base64,${photo.image}`
                        : `/web/image/field.intervention.photo/${photo.id}/image_256`,
                })
            )
        ),
        locked ? null : h("label", { class: "fi-btn fi-btn-wide", for: "fi-photo-input" }, T.take_photo),
        locked ? null : input
    );
}

function problemsOf(item) {
    return problems()
        .filter((op) => op.intervention_id === item.id)
        .map((op) =>
            h(
                "div",
                { class: `fi-problem fi-op-${op.status}`, "data-key": op.key },
                h("strong", {}, `${T[`op_${op.type}`] || op.type} — ${T[`op_${op.status}`]}`),
                h("p", {}, op.message),
                h("button", { class: "fi-btn fi-btn-small", onclick: async () => { await dismissOp(op); render(); } }, T.dismiss)
            )
        );
}

function interventionScreen(item) {
    const locked = LOCKED.has(item.state);
    const canFinish = item.state === "in_progress" && !item.running && !item.paused && item.time_segments.length > 0;
    return h(
        "main",
        { class: "fi-page", id: "fi-intervention", "data-id": String(item.id), "data-state": item.state },
        header(item.name, "#/"),
        h("div", { class: "fi-state-line" }, h("span", { class: `fi-badge fi-state-${item.state}`, id: "fi-state" }, stateLabel(item))),
        problemsOf(item),
        h(
            "section",
            { class: "fi-block" },
            h("h2", {}, T.mission),
            h("p", { class: "fi-strong" }, item.mission.name),
            item.mission.description ? h("p", { class: "fi-pre" }, item.mission.description) : null
        ),
        h(
            "section",
            { class: "fi-block" },
            h("h2", {}, T.customer),
            h("p", { class: "fi-strong" }, item.customer.name),
            item.customer.phone ? h("a", { class: "fi-btn fi-btn-wide", href: `tel:${item.customer.phone}` }, `${T.call} ${item.customer.phone}`) : null,
            h("h2", {}, T.site),
            h("p", { class: "fi-pre" }, item.site.address),
            item.site.map_url ? h("a", { class: "fi-btn fi-btn-wide", href: item.site.map_url, target: "_blank", rel: "noopener" }, T.map) : null
        ),
        timerBlock(item),
        textBlock(item, "work_description", T.work_description, locked),
        textBlock(item, "findings", T.findings, locked),
        checklistBlock(item, locked),
        partsBlock(item, locked),
        photosBlock(item, locked),
        h(
            "section",
            { class: "fi-block fi-actions" },
            item.state === "in_progress"
                ? h("button", { class: "fi-btn fi-btn-big fi-go", id: "fi-done", disabled: !canFinish, onclick: () => change(item, "done") }, T.done)
                : null,
            item.state === "in_progress" && !canFinish ? h("p", { class: "fi-muted" }, T.done_hint) : null,
            item.state === "done" ? h("a", { class: "fi-btn fi-btn-big fi-go", id: "fi-to-sign", href: `#/i/${item.id}/sign` }, T.to_sign) : null
        )
    );
}

// ---------------------------------------------------------------- signature
/** All the customer signs, read from the signed content itself (what the hash covers). */
function summaryRows(item, content) {
    const none = T.none;
    const row = (label, value) => h("div", { class: "fi-sum-row" }, h("dt", {}, label), h("dd", {}, value || none));
    const lines = (values) => (values.length ? values.map((value) => h("div", {}, value)) : null);
    // the content names units in English: shown in the technician's words
    const units = new Map(state.products.map((product) => [(product.content || [])[0], product.uom_name]));
    for (const part of item.parts) {
        if (part.content) {
            units.set(part.content[2], part.uom);
        }
    }
    const number = (value, digits) => Number(value).toLocaleString(LANG, { maximumFractionDigits: digits });
    const money = (value) =>
        new Intl.NumberFormat(LANG, { style: "currency", currency: content.currency }).format(Number(value));
    const worked = content.times.reduce((total, [start, end]) => total + (end ? Date.parse(end) - Date.parse(start) : 0), 0);
    const travel = content.travel || { hours: "0", km: "0" };
    const customer = content.customer || {};
    return h(
        "dl",
        { class: "fi-summary", id: "fi-summary" },
        row(T.summary_number, content.number),
        row(T.summary_date, content.service_date ? localDate(`${content.service_date}T12:00:00Z`, LANG) : ""),
        row(T.customer, customer.name),
        row(T.site, content.site),
        row(T.technicians, lines(content.technicians || [])),
        row(
            T.times,
            lines([
                ...content.times.map(([start, end]) => `${localDate(start, LANG)} ${localTime(start, LANG)} → ${localTime(end, LANG)}`),
                ...(content.times.length ? [fmt(T.summary_worked, { time: duration(worked / 1000).slice(0, -3) })] : []),
            ])
        ),
        row(
            T.travel,
            Number(travel.hours) || Number(travel.km)
                ? fmt(T.summary_travel, { time: duration(Number(travel.hours) * 3600).slice(0, -3), km: number(travel.km, 2) })
                : ""
        ),
        row(T.work_description, content.work_description),
        row(T.findings, content.findings),
        row(T.checklist, lines(content.checklist.map(([name, result, note]) => `${name} : ${(state.checklistResults.find(([key]) => key === result) || [null, result || none])[1]}${note ? ` (${note})` : ""}`))),
        row(
            T.parts,
            lines(
                content.parts.map(([name, quantity, unit, , price]) =>
                    `${name} × ${number(quantity, 3)} ${units.get(unit) || unit}${price !== undefined && content.currency ? ` · ${money(price)}` : ""}`
                )
            )
        ),
        row(T.photos, lines([fmt(T.summary_photos, { count: content.photos.length }), ...content.photos.map(([, caption]) => caption).filter(Boolean)]))
    );
}

function signaturePad() {
    const canvas = h("canvas", { class: "fi-pad", id: "fi-pad", "aria-label": T.sign_here });
    let drawing = false;
    let strokes = 0;
    const context = () => canvas.getContext("2d");
    const point = (event) => {
        const rect = canvas.getBoundingClientRect();
        return [(event.clientX - rect.left) * (canvas.width / rect.width), (event.clientY - rect.top) * (canvas.height / rect.height)];
    };
    canvas.addEventListener("pointerdown", (event) => {
        drawing = true;
        canvas.setPointerCapture?.(event.pointerId);
        const ctx = context();
        ctx.lineWidth = 3 * (window.devicePixelRatio || 1);
        ctx.lineCap = "round";
        ctx.strokeStyle = "#102a5c";
        ctx.beginPath();
        ctx.moveTo(...point(event));
        event.preventDefault();
    });
    canvas.addEventListener("pointermove", (event) => {
        if (drawing) {
            const ctx = context();
            ctx.lineTo(...point(event));
            ctx.stroke();
            strokes++;
        }
    });
    const end = () => {
        drawing = false;
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    const size = () => {
        const ratio = window.devicePixelRatio || 1;
        canvas.width = Math.round(canvas.clientWidth * ratio);
        canvas.height = Math.round(canvas.clientHeight * ratio);
        strokes = 0;
    };
    return { canvas, size, isEmpty: () => strokes === 0, clear: size };
}

function geolocation() {
    return new Promise((resolve) => {
        if (!navigator.geolocation) {
            resolve(null);
            return;
        }
        navigator.geolocation.getCurrentPosition(
            (position) => resolve(position.coords),
            () => resolve(null),
            { timeout: 8000, maximumAge: 300000 }
        );
    });
}

function signScreen(item) {
    const page = h("main", { class: "fi-page", id: "fi-sign", "data-id": String(item.id) }, header(T.sign_title, `#/i/${item.id}`));
    if (item.state !== "done") {
        page.append(h("p", {}, stateLabel(item)));
        return page;
    }
    const pad = signaturePad();
    const name = h("input", { type: "text", id: "fi-signer-name", autocomplete: "name", value: item.signer?.name || "" });
    const email = h("input", { type: "email", id: "fi-signer-email", autocomplete: "email", value: item.signer?.email || "" });
    const geo = h("input", { type: "checkbox", id: "fi-geo" });
    const error = h("p", { class: "fi-error", id: "fi-sign-error" });
    const hashNode = h("code", { class: "fi-hash", id: "fi-hash" }, "…");
    const summary = h("div", {});
    // the sentence for the day the server will record from this phone's times
    const consentText = consentSentence(item);
    let signed = null;
    contentAndHash(item).then(({ content, hash }) => {
        signed = { content, hash };
        summary.replaceChildren(summaryRows(item, JSON.parse(content)));
        hashNode.textContent = hash;
    });
    const confirm = async () => {
        if (!signed || !name.value.trim() || pad.isEmpty()) {
            error.textContent = T.sign_missing;
            return;
        }
        confirmButton.disabled = true;
        const coords = geo.checked ? await geolocation() : null;
        const signature = pad.canvas.toDataURL("image/png").split(",")[1];
        await change(
            item,
            "sign",
            {
                signer_name: name.value.trim(),
                signer_email: email.value.trim(),
                signature,
                content: signed.content,
                content_hash: signed.hash,
                consent_text: consentText,
                geo_consent: geo.checked,
                latitude: coords ? coords.latitude : false,
                longitude: coords ? coords.longitude : false,
            },
            { rerender: false }
        );
        location.hash = `#/i/${item.id}`;
    };
    const confirmButton = h("button", { class: "fi-btn fi-btn-big fi-go", id: "fi-confirm-sign", onclick: confirm }, T.confirm_sign);
    page.append(
        h("section", { class: "fi-block" }, h("h2", {}, T.sign_summary), summary, h("p", { class: "fi-muted" }, T.content_hash), hashNode),
        h("section", { class: "fi-block" }, h("p", { class: "fi-consent", id: "fi-consent" }, consentText)),
        h(
            "section",
            { class: "fi-block" },
            h("label", { for: "fi-signer-name" }, T.signer_name),
            name,
            h("label", { for: "fi-signer-email" }, T.signer_email),
            email,
            h("label", { class: "fi-checkbox" }, geo, T.geo_consent)
        ),
        h(
            "section",
            { class: "fi-block" },
            h("p", {}, T.sign_here),
            pad.canvas,
            h("button", { class: "fi-btn fi-btn-small", id: "fi-clear", onclick: () => pad.clear() }, T.clear)
        ),
        error,
        confirmButton
    );
    requestAnimationFrame(pad.size);
    return page;
}

// ---------------------------------------------------------------- queue
function queueScreen() {
    const rows = [...state.ops].reverse().slice(0, 200);
    return h(
        "main",
        { class: "fi-page", id: "fi-queue" },
        header(T.queue, "#/"),
        h(
            "ul",
            { class: "fi-ops" },
            rows.map((op) =>
                h(
                    "li",
                    { class: `fi-op-${op.status}`, "data-key": op.key },
                    h("strong", {}, `${state.views.get(op.intervention_id)?.name || op.intervention_id} · ${T[`op_${op.type}`] || op.type}`),
                    h("span", { class: "fi-badge" }, T[`op_${op.status}`]),
                    op.message ? h("p", {}, op.message) : null,
                    ["conflict", "error"].includes(op.status) && !op.dismissed
                        ? h("button", { class: "fi-btn fi-btn-small", onclick: async () => { await dismissOp(op); render(); } }, T.dismiss)
                        : null
                )
            )
        )
    );
}

// ---------------------------------------------------------------- logout
/** The phone may be shared: before the session ends, what is synced leaves the phone, what is
 * not stays locked for its owner (sent at their next login), and the cached page that holds the
 * user's key and names their store is deleted, so that the app no longer opens offline for them. */
function logoutScreen() {
    const count = pending().length;
    const error = h("p", { class: "fi-error", id: "fi-logout-error" });
    const confirm = async () => {
        button.disabled = true;
        button.textContent = T.logging_out;
        try {
            // the server must answer first: offline, the session would outlive the wipe
            const probe = await fetch(`${CONFIG.app}/manifest.webmanifest`, { cache: "no-store", credentials: "same-origin", redirect: "manual" });
            if (!probe.ok) {
                throw new NetworkDown();
            }
        } catch {
            error.textContent = T.logout_offline;
            button.disabled = false;
            button.textContent = T.logout_confirm;
            return;
        }
        // nothing may come back from a sync into the store once it is wiped
        state.loggingOut = true;
        runner.cancel();
        while (runner.running) {
            await runner.running.catch(() => null);
        }
        await db.wipeSynced(await lockPending(CONFIG.seal_key));
        for (const name of await caches.keys()) {
            if (name.startsWith("fi-mobile-")) {
                await (await caches.open(name)).delete(CONFIG.app);
            }
        }
        const back = `/web/login?redirect=${encodeURIComponent(CONFIG.app)}`;
        location.replace(`/web/session/logout?fi_done=1&redirect=${encodeURIComponent(back)}`);
    };
    const button = h("button", { class: "fi-btn fi-btn-big fi-halt", id: "fi-logout-confirm", onclick: confirm }, T.logout_confirm);
    return h(
        "main",
        { class: "fi-page", id: "fi-logout-page", "data-pending": String(count) },
        header(T.logout_title, "#/"),
        h("p", { class: "fi-block", id: "fi-logout-text" }, count ? fmt(T.logout_pending, { count }) : T.logout_all_sent),
        error,
        button
    );
}

// ---------------------------------------------------------------- router
function render() {
    const route = location.hash.replace(/^#/, "") || "/";
    let screen;
    let match;
    if ((match = route.match(/^\/i\/(\d+)(\/sign)?$/)) && state.views.has(Number(match[1]))) {
        const item = state.views.get(Number(match[1]));
        screen = match[2] ? signScreen(item) : interventionScreen(item);
    } else if (route === "/queue") {
        screen = queueScreen();
    } else if (route === "/logout") {
        screen = logoutScreen();
    } else {
        screen = listScreen();
    }
    const scroll = window.scrollY;
    const sameScreen = root.dataset.route === route;
    root.replaceChildren(h("div", { id: "fi-banner", class: "fi-banner" }), screen);
    root.dataset.route = route;
    root.dataset.ready = "1";
    renderBanner();
    if (sameScreen) {
        window.scrollTo(0, scroll);
    }
}

/** Re-render after a background sync, unless somebody is typing or signing: then only the banner. */
function softRender() {
    const active = document.activeElement;
    const typing = active && root.contains(active) && ["INPUT", "TEXTAREA", "SELECT"].includes(active.tagName);
    if (typing || location.hash.endsWith("/sign") || state.loggingOut) {
        renderBanner();  // the screen follows at the next navigation: never under a finger
    } else {
        render();
    }
}

function tick() {
    const node = document.getElementById("fi-elapsed");
    const match = (location.hash || "").match(/^#\/i\/(\d+)$/);
    if (node && match && state.views.has(Number(match[1]))) {
        node.textContent = duration(worked(state.views.get(Number(match[1]))));
    }
}

async function main() {
    if ("serviceWorker" in navigator) {
        navigator.serviceWorker.register(`${CONFIG.app}/sw.js`, { scope: CONFIG.app }).catch(() => null);
    }
    await deviceId();
    try {
        await db.adoptLegacyStore(CONFIG.uid);  // the changes of the app's first version, if theirs
        await unlockOps(CONFIG.seal_key);  // the changes locked at this user's last logout
        await forgetAnsweredImages();
    } catch {
        // a change that cannot be unlocked stays locked, kept and never sent under another key
    }
    await loadState();
    render();
    performance.mark("fi-ready");  // the app is usable (measured by the browser tests)
    window.addEventListener("hashchange", () => {
        state.partQuery = "";
        window.scrollTo(0, 0);
        render();
    });
    window.addEventListener("online", () => trySync({ download: true }));
    window.addEventListener("offline", () => {
        state.online = false;
        renderBanner();
    });
    setInterval(tick, 1000);
    await trySync({ download: true });
}

main();
