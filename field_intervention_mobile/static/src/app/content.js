// What the customer signs, built on the phone exactly as the server builds it from its records
// (field_intervention_sign's _fi_get_canonical_content, one content for the portal, the device
// and the phone): canonical JSON, keys sorted, no spaces, non-ASCII kept, every number as a
// string. The phone rebuilds what it can change (times, service date, texts, checklist, parts,
// photos) from its local state and takes the rest (company, customer, site, technicians, travel,
// prices...) from the content it downloaded: a change of those on the server after the download
// gives another hash, and the customer signs again. Its SHA-256 is computed here with WebCrypto.

/** JSON.stringify with sorted keys and no spaces: the same text as Python's
 * json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")). */
export function canonicalJson(value) {
    if (value === null || value === undefined) {
        return "null";
    }
    if (Array.isArray(value)) {
        return `[${value.map(canonicalJson).join(",")}]`;
    }
    if (typeof value === "object") {
        const keys = Object.keys(value).sort(compareText);
        return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

/** Code point order, as Python compares str. */
export function compareText(a, b) {
    const left = Array.from(a, (ch) => ch.codePointAt(0));
    const right = Array.from(b, (ch) => ch.codePointAt(0));
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
        if (left[i] !== right[i]) {
            return left[i] - right[i];
        }
    }
    return left.length - right.length;
}

/** Python's order of lists of strings (element by element). */
function compareRows(a, b) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const order = compareText(String(a[i] ?? ""), String(b[i] ?? ""));
        if (order) {
            return order;
        }
    }
    return a.length - b.length;
}

export async function sha256Hex(data) {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const digest = await crypto.subtle.digest("SHA-256", bytes);
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function text(value) {
    return value === null || value === undefined || value === false ? "" : String(value);
}

/** The signed content of an intervention (its local state), as an object. */
export function buildContent(item) {
    let base = {};
    try {
        base = JSON.parse(item.content || "{}");
    } catch {
        // an unreadable download: the server finds another hash and says so
    }
    const starts = item.time_segments.map(([start]) => text(start)).filter(Boolean).sort();
    const moment = starts[0] || item.planned_date;
    return {
        ...base,
        times: item.time_segments.map(([start, end]) => [text(start), text(end)]).sort(compareRows),
        service_date: moment && item.consent && item.consent.tz ? serviceDate(moment, item.consent.tz) : "",
        work_description: text(item.work_description),
        findings: text(item.findings),
        // an unanswered line is false, as the server writes it
        checklist: item.checklist.map((line) => [text(line.name), line.result || false, text(line.note)]),
        parts: item.parts.map((part) => partRow(part, Boolean(base.currency))).sort(compareRows),
        photos: item.photos.map((photo) => [text(photo.sha256), text(photo.name)]).sort(compareRows),
    };
}

/** A part as signed: the server's row for a part it has; for a part added on the phone, its
 * description (the product's name, as the server writes it), quantity, and what the product adds
 * (unit, code, and unit price when the customer sees prices). */
function partRow(part, withPrice) {
    if (part.content) {
        return part.content;
    }
    const tail = part.product_content || [];
    return [text(part.name), Number(part.quantity).toFixed(3), ...(withPrice ? tail : tail.slice(0, 2))];
}

function serviceDate(moment, tz) {
    try {
        return localIsoDate(moment, tz);
    } catch {
        return ""; // a time zone the phone does not know: the server finds another hash and says so
    }
}

export async function contentAndHash(item) {
    const content = canonicalJson(buildContent(item));
    return { content, hash: await sha256Hex(content) };
}

/** The day (YYYY-MM-DD) of a UTC time in the time zone ``tz``. */
export function localIsoDate(value, tz) {
    const parts = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
        .formatToParts(new Date(value));
    const part = (type) => parts.find((row) => row.type === type).value;
    return `${part("year")}-${part("month")}-${part("day")}`;
}

/** The consent sentence the customer signs, for the service date the server will record from the
 * phone's own times: the day of the first start (else of the planned date) in the server's time
 * zone, written as the customer reads it (``item.consent``, built by the server). When that day is
 * not among the server's dates, the sentence of the download. */
export function consentSentence(item) {
    const consent = item.consent;
    const starts = item.time_segments.map(([start]) => text(start)).filter(Boolean).sort();
    const moment = starts[0] || item.planned_date;
    if (consent && consent.first && moment) {
        try {
            const day = localIsoDate(moment, consent.tz);
            const offset = Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${consent.first}T00:00:00Z`)) / 86400000);
            if (offset >= 0 && offset < consent.dates.length) {
                return `${consent.before}${consent.dates[offset]}${consent.after}`;
            }
        } catch {
            // a time zone the phone does not know: the sentence of the download
        }
    }
    return text(item.consent_text);
}
