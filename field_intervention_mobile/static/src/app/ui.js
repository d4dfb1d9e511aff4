// Small DOM helpers: the app builds its screens with h() (no framework, no build step).

export function h(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
        if (value === null || value === undefined || value === false || name === "value") {
            continue;
        }
        if (name.startsWith("on")) {
            node.addEventListener(name.slice(2), value);
        } else if (name === "class") {
            node.className = value;
        } else if (name in node && typeof value !== "string") {
            node[name] = value;
        } else {
            node.setAttribute(name, value === true ? "" : value);
        }
    }
    for (const child of children.flat(Infinity)) {
        if (child === null || child === undefined || child === false) {
            continue;
        }
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    if (attrs && attrs.value !== undefined && attrs.value !== null) {
        node.value = attrs.value;  // a property (a textarea has no value attribute), after the options
    }
    return node;
}

/** "%(name)s" placeholders, as in the server's translated strings. */
export function fmt(template, values = {}) {
    return template.replace(/%\((\w+)\)s/g, (match, name) => (name in values ? String(values[name]) : match));
}

export function parseUtc(value) {
    return value ? new Date(value) : null;
}

export function localTime(value, lang) {
    const date = parseUtc(value);
    return date ? date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) : "";
}

export function localDate(value, lang) {
    const date = parseUtc(value);
    return date ? date.toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "long" }) : "";
}

export function duration(seconds) {
    const total = Math.max(0, Math.floor(seconds));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const secs = total % 60;
    return `${hours}:${String(minutes).padStart(2, "0")}:${String(secs).padStart(2, "0")}`;
}

export function base64FromBytes(bytes) {
    let binary = "";
    const chunk = 0x8000;
    for (let i = 0; i < bytes.length; i += chunk) {
        binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
    }
    return btoa(binary);
}

export function bytesFromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) {
        bytes[i] = binary.charCodeAt(i);
    }
    return bytes;
}
