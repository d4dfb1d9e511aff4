// The queue of changes and its replay. Every change is an op with a uuid key: stored first,
// applied to the local state at once, and sent in order when the network is there. An op stays
// in the queue until the server answered it; the answer (ok, duplicate, conflict, error) is kept
// on the op so the technician can read it. A lost answer is harmless: the replay of the same key
// is answered "duplicate" by the server and changes nothing. Every op carries its owner (the user
// logged in when it was made): it is sent under that user's session only, and the server refuses
// a queue whose owner is not the session's user.

import * as db from "./db.js";
import { SETTINGS } from "./retry.js";
import { base64FromBytes, bytesFromBase64 } from "./ui.js";

const API = "/field_intervention/app/api";
const BATCH_OPS = 10;
const BATCH_BYTES = 4 * 1024 * 1024;

export class SessionExpired extends Error {}
export class NetworkDown extends Error {}
export class ServerError extends Error {}
/** The session is another user's than the page's (somebody else logged in meanwhile). */
export class WrongUser extends Error {}

// what a photo or a signature weighs in an op: deleted from the phone once the server has it
const IMAGE_KEYS = ["image", "signature"];
let owner = null;

/** The logged-in user: the owner of every op made and the only one whose ops are sent. */
export function setOwner(uid) {
    owner = uid;
}

/** Now, in UTC, to the second, as the contract writes datetimes. */
export function utcNow() {
    return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

function uuid4() {
    if (crypto.randomUUID) {
        return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export async function deviceId() {
    let id = await db.getMeta("device_id");
    if (!id) {
        id = uuid4();
        await db.setMeta({ device_id: id });
    }
    return id;
}

/** Append a change to the queue. ``local`` holds what only the phone needs (not sent). */
export async function queueOp(interventionId, type, payload, local = {}) {
    const op = {
        key: uuid4(),
        owner,
        intervention_id: interventionId,
        type,
        at: utcNow(),
        payload,
        local,
        status: "pending",
        message: "",
        server_id: null,
    };
    op.seq = await db.addOp(op);
    return op;
}

async function rpc(path, params, timeout = SETTINGS.timeout) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeout);
    let response;
    try {
        response = await fetch(`${API}/${path}`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            credentials: "same-origin",
            cache: "no-store",
            body: JSON.stringify({ jsonrpc: "2.0", method: "call", params, id: Date.now() }),
            signal: controller.signal,
        });
    } catch {
        throw new NetworkDown();
    } finally {
        clearTimeout(timer);
    }
    if (response.redirected && response.url.includes("/web/login")) {
        throw new SessionExpired();
    }
    if (!response.ok) {
        if (response.status >= 500 || response.status === 0) {
            throw new NetworkDown();
        }
        throw new ServerError(`HTTP ${response.status}`);
    }
    let body;
    try {
        body = await response.json();
    } catch {
        throw new NetworkDown();  // an answer cut on the way
    }
    if (body.error) {
        const data = body.error.data || {};
        if (data.name === "odoo.http.SessionExpiredException") {
            throw new SessionExpired();
        }
        if ((data.name || "").endsWith(".MobileOwnerError")) {
            throw new WrongUser(data.message);
        }
        throw new ServerError(data.message || body.error.message);
    }
    return body.result;
}

/** Download the technician's days and keep them on the phone. */
export async function downloadDay(days = 3) {
    const result = await rpc("day", { days, owner });
    if (!result.user || result.user.id !== owner) {
        throw new WrongUser();  // never another user's day in this user's store
    }
    // an intervention gone from the day stays while it has changes not sent or refusals to read
    const keep = (await db.allOps()).filter(
        (op) => op.status === "pending" || (["conflict", "error"].includes(op.status) && !op.dismissed)
    );
    await db.putInterventions(result.interventions, new Set(keep.map((op) => op.intervention_id)));
    await db.setMeta({
        user: result.user,
        products: result.products,
        checklist_results: result.checklist_results,
        server_time: result.server_time,
        downloaded_at: new Date().toISOString(),
    });
    return result;
}

export async function pendingOps() {
    return (await db.allOps())
        .filter((op) => op.status === "pending" && op.owner === owner && !op.sealed)
        .sort((a, b) => a.seq - b.seq);
}

function wireOp(op) {
    return { key: op.key, owner: op.owner, intervention_id: op.intervention_id, type: op.type, at: op.at, payload: op.payload };
}

/** The server has this op (whatever its answer, it keeps what the phone sent): its photo or
 * signature image leaves the phone. */
function forgetImages(op) {
    for (const name of IMAGE_KEYS) {
        if (op.payload && name in op.payload) {
            op.payload = { ...op.payload, [name]: null };
            op.images_sent = true;
        }
    }
}

function batches(ops) {
    const groups = [];
    let current = [];
    let size = 0;
    for (const op of ops) {
        const bytes = JSON.stringify(op.payload).length;
        if (current.length && (current.length >= BATCH_OPS || size + bytes > BATCH_BYTES)) {
            groups.push(current);
            current = [];
            size = 0;
        }
        current.push(op);
        size += bytes;
    }
    if (current.length) {
        groups.push(current);
    }
    return groups;
}

let running = null;

/** Send the queue, in order, batch after batch; returns {sent, problems}. One sync at a time. */
export function syncNow() {
    if (!running) {
        running = replay().finally(() => {
            running = null;
        });
    }
    return running;
}

async function replay() {
    const device = await deviceId();
    let sent = 0;
    const problems = [];
    for (const group of batches(await pendingOps())) {
        const result = await rpc("sync", { device_id: device, owner, ops: group.map(wireOp) });
        const byKey = new Map(result.results.map((item) => [item.key, item]));
        const answered = [];
        for (const op of group) {
            const answer = byKey.get(op.key);
            if (!answer) {
                continue;  // not answered: stays pending, sent again next time
            }
            op.status = answer.status;
            op.message = answer.message || "";
            op.server_id = answer.server_id ?? null;
            op.answered_at = new Date().toISOString();
            forgetImages(op);
            answered.push(op);
            sent++;
            if (op.status === "conflict" || op.status === "error") {
                problems.push(op);
            }
        }
        // the answer and the new server state are stored together: never one without the other
        await db.storeAnswer(answered, result.interventions || []);
    }
    return { sent, problems };
}

export async function dismissOp(op) {
    op.dismissed = true;
    await db.putOps([op]);
}

// ---------------------------------------------------------------- lock at logout
// The key comes from the server with the app's page (derived from its secret and the user): the
// phone holds it only while the user is logged in, so a locked change is readable again only at
// its owner's next login. Without WebCrypto (an insecure origin) the changes stay in the owner's
// own store, never shown or sent for anybody else.

function cryptoKey(hex) {
    const raw = new Uint8Array(hex.match(/../g).map((pair) => parseInt(pair, 16)));
    return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** The owner's unsent ops, their contents encrypted (what stays on the phone after logout). */
export async function lockPending(keyHex) {
    const ops = (await db.allOps()).filter((op) => op.status === "pending" && op.owner === owner);
    if (!keyHex || !crypto.subtle) {
        return ops;
    }
    const key = await cryptoKey(keyHex);
    for (const op of ops.filter((item) => !item.sealed)) {
        const iv = crypto.getRandomValues(new Uint8Array(12));
        const plain = new TextEncoder().encode(JSON.stringify({ payload: op.payload, local: op.local }));
        const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain));
        op.sealed = { iv: base64FromBytes(iv), data: base64FromBytes(sealed) };
        delete op.payload;
        delete op.local;
    }
    return ops;
}

/** At the owner's login: the changes locked at their last logout, readable and sendable again. */
export async function unlockOps(keyHex) {
    const sealed = (await db.allOps()).filter((op) => op.sealed && op.owner === owner);
    if (!sealed.length || !keyHex || !crypto.subtle) {
        return 0;
    }
    const key = await cryptoKey(keyHex);
    for (const op of sealed) {
        const plain = await crypto.subtle.decrypt(
            { name: "AES-GCM", iv: bytesFromBase64(op.sealed.iv) },
            key,
            bytesFromBase64(op.sealed.data)
        );
        Object.assign(op, JSON.parse(new TextDecoder().decode(plain)));
        delete op.sealed;
    }
    await db.replaceOps(sealed);
    return sealed.length;
}

/** Images of ops answered before this version of the app: they leave the phone too. */
export async function forgetAnsweredImages() {
    const answered = (await db.allOps()).filter(
        (op) => op.status !== "pending" && op.payload && IMAGE_KEYS.some((name) => op.payload[name])
    );
    answered.forEach(forgetImages);
    if (answered.length) {
        await db.replaceOps(answered);
    }
}
