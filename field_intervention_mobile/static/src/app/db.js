// The phone's storage: everything the technician needs or entered lives in IndexedDB, so that
// closing the page, restarting the phone or a day without network loses nothing. A phone may be
// shared: each user has a database of their own (``useStore``, named by the server per database
// and user), and nothing of one user's is read, shown or sent while another is logged in.
//   meta          key -> value (the downloaded day: user, products, checklist results, device id)
//   interventions the server's last known version of each intervention (keyPath id)
//   ops           the queue of changes, in order (autoincrement seq), each with its result

const DB_VERSION = 1;
let dbName = null;
let opening = null;

/** The logged-in user's database: called once, before anything is read or stored. */
export function useStore(name) {
    if (dbName && dbName !== name) {
        throw new Error("the app's store is the logged-in user's: it never changes in a page");
    }
    dbName = name;
}

function promisify(request) {
    return new Promise((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
}

export function openDb() {
    if (!opening) {
        if (!dbName) {
            return Promise.reject(new Error("no user's store chosen"));
        }
        opening = new Promise((resolve, reject) => {
            const request = indexedDB.open(dbName, DB_VERSION);
            request.onupgradeneeded = () => {
                const db = request.result;
                db.createObjectStore("meta");
                db.createObjectStore("interventions", { keyPath: "id" });
                const ops = db.createObjectStore("ops", { keyPath: "seq", autoIncrement: true });
                ops.createIndex("key", "key", { unique: true });
            };
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
        });
    }
    return opening;
}

async function run(stores, mode, work) {
    const db = await openDb();
    const tx = db.transaction(stores, mode);
    const result = await work(tx);
    await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
    return result;
}

export function getMeta(key) {
    return run(["meta"], "readonly", (tx) => promisify(tx.objectStore("meta").get(key)));
}

export function setMeta(values) {
    return run(["meta"], "readwrite", (tx) => {
        for (const [key, value] of Object.entries(values)) {
            tx.objectStore("meta").put(value, key);
        }
    });
}

export function allInterventions() {
    return run(["interventions"], "readonly", (tx) => promisify(tx.objectStore("interventions").getAll()));
}

/** Store the server's interventions; with ``replaceExcept`` (a set of ids to keep), drop the
 * others first (a new day was downloaded; interventions with unsent changes are kept). */
export function putInterventions(interventions, replaceExcept = null) {
    return run(["interventions"], "readwrite", async (tx) => {
        const store = tx.objectStore("interventions");
        if (replaceExcept) {
            const keys = await promisify(store.getAllKeys());
            const fresh = new Set(interventions.map((item) => item.id));
            for (const key of keys) {
                if (!fresh.has(key) && !replaceExcept.has(key)) {
                    store.delete(key);
                }
            }
        }
        for (const item of interventions) {
            store.put(item);
        }
    });
}

export function allOps() {
    return run(["ops"], "readonly", (tx) => promisify(tx.objectStore("ops").getAll()));
}

export function addOp(op) {
    return run(["ops"], "readwrite", (tx) => promisify(tx.objectStore("ops").add(op)));
}

export function putOps(ops) {
    return run(["ops"], "readwrite", (tx) => {
        for (const op of ops) {
            tx.objectStore("ops").put(op);
        }
    });
}

/** Store the server's answer to a batch: the ops' results and the interventions it returned,
 * in one transaction (never one without the other). */
export function storeAnswer(ops, interventions) {
    return run(["ops", "interventions"], "readwrite", (tx) => {
        for (const op of ops) {
            tx.objectStore("ops").put(op);
        }
        for (const item of interventions) {
            tx.objectStore("interventions").put(item);
        }
    });
}

/** Replace stored ops (a photo or signature the server has, a change locked or unlocked). */
export const replaceOps = putOps;

/** At logout: delete what the server has (the interventions, the day's data, the answered
 * changes) and keep only what is not sent yet (``keep``: the ops to store instead, locked). */
export function wipeSynced(keep) {
    return run(["meta", "interventions", "ops"], "readwrite", async (tx) => {
        const meta = tx.objectStore("meta");
        for (const key of await promisify(meta.getAllKeys())) {
            if (key !== "device_id") {
                meta.delete(key);
            }
        }
        tx.objectStore("interventions").clear();
        const ops = tx.objectStore("ops");
        ops.clear();
        for (const op of keep) {
            ops.put(op);
        }
    });
}

/** The app's first version kept one store for the whole site ("fi-mobile"): its unsent changes
 * are moved into their user's own store when that user logs in (never into anybody else's), and
 * the old store is deleted once empty of them. Returns how many were moved. */
export async function adoptLegacyStore(uid) {
    const LEGACY = "fi-mobile";
    if (!indexedDB.databases || !(await indexedDB.databases()).some((info) => info.name === LEGACY)) {
        return 0;
    }
    const legacy = await promisify(indexedDB.open(LEGACY, DB_VERSION));
    const close = () => legacy.close();
    if (!legacy.objectStoreNames.contains("ops")) {
        close();
        return 0;
    }
    const tx = legacy.transaction(["meta", "ops"], "readonly");
    const [user, ops] = await Promise.all([
        promisify(tx.objectStore("meta").get("user")),
        promisify(tx.objectStore("ops").getAll()),
    ]);
    close();
    const pendingOps = ops.filter((op) => op.status === "pending");
    if (pendingOps.length && (!user || user.id !== uid)) {
        return 0;  // another user's (or nobody knows whose): kept for its owner's login
    }
    for (const op of pendingOps) {
        delete op.seq;
        op.owner = uid;
        await addOp(op);
    }
    indexedDB.deleteDatabase(LEGACY);  // not awaited: an old page still open would block it
    return pendingOps.length;
}
