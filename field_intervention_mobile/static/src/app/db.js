// The phone's storage: everything the technician needs or entered lives in IndexedDB, so that
// closing the page, restarting the phone or a day without network loses nothing.
//   meta          key -> value (the downloaded day: user, products, checklist results, device id)
//   interventions the server's last known version of each intervention (keyPath id)
//   ops           the queue of changes, in order (autoincrement seq), each with its result

const DB_NAME = "fi-mobile";
const DB_VERSION = 1;
let opening = null;

function promisify(request) {
    return new Promise((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
    });
}

export function openDb() {
    if (!opening) {
        opening = new Promise((resolve, reject) => {
            const request = indexedDB.open(DB_NAME, DB_VERSION);
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
