// Sending on its own: in a basement the network often hangs instead of failing (one bar that
// answers nothing), and the browser never says it came back. So every attempt has a deadline
// (``timeout``), and while changes wait the app tries again by itself, waiting longer after each
// failure (``firstDelay`` doubled, at most ``maxDelay``). A trigger that arrives during an attempt
// (a new change, the network event, the button) is kept and runs right after it, never dropped.

export const DEFAULTS = Object.freeze({ timeout: 15000, firstDelay: 5000, maxDelay: 60000 });
// the browser tests shorten these (the same module instance as the app's): nothing else writes them
export const SETTINGS = { ...DEFAULTS };

/** The wait before the next attempt after ``failures`` failed attempts in a row. */
export function backoff(failures, settings = SETTINGS) {
    return Math.min(settings.maxDelay, settings.firstDelay * 2 ** Math.max(0, failures - 1));
}

function merge(left, right) {
    const merged = { ...(left || {}) };
    for (const [key, value] of Object.entries(right || {})) {
        merged[key] = Boolean(merged[key]) || Boolean(value);
    }
    return merged;
}

/** Runs ``task(options)`` one at a time. The task answers "retry" (it failed for the network
 * and work is waiting: try again later), or anything else (done, or nothing to retry by itself).
 * ``onChange`` is told whenever the running state or the next try changes. */
export class Runner {
    constructor(task, onChange = () => {}) {
        this.task = task;
        this.onChange = onChange;
        this.running = null;
        this.queued = null;
        this.failures = 0;
        this.timer = null;
        this.retryAt = null;
    }

    get busy() {
        return Boolean(this.running);
    }

    /** Run now, or right after the attempt under way. */
    trigger(options = {}) {
        if (this.running) {
            this.queued = merge(this.queued, options);
            return this.running;
        }
        this.cancel();
        this.running = this.loop(options).finally(() => {
            this.running = null;
            this.onChange();
        });
        return this.running;
    }

    cancel() {
        clearTimeout(this.timer);
        this.timer = null;
        this.retryAt = null;
    }

    async loop(options) {
        let next = options;
        while (next) {
            this.queued = null;
            let outcome;
            try {
                outcome = await this.task(next);
            } catch {
                outcome = "retry";
            }
            this.failures = outcome === "retry" ? this.failures + 1 : 0;
            next = this.queued;
            if (!next && outcome === "retry") {
                this.schedule();
            }
        }
    }

    schedule() {
        const delay = backoff(this.failures);
        this.retryAt = new Date(Date.now() + delay);
        this.timer = setTimeout(() => this.trigger({}), delay);
        this.onChange();
    }
}
