// Runs the report page's inline script against a minimal DOM stub (no browser needed) and
// prints, as JSON, how many passages match before and after each filter change.
"use strict";
const fs = require("fs");
const html = fs.readFileSync(process.argv[2], "utf8");
const data = html.match(/<script id="data" type="application\/json">([\s\S]*?)<\/script>/)[1];
const code = html.match(/<script>\s*("use strict";[\s\S]*?)<\/script>/)[1];
function node(tag) {
  return {
    tag, children: [], style: {}, _text: "", className: "", title: "", value: "", listeners: {},
    appendChild(c) { this.children.push(c); return c; },
    addEventListener(ev, f) { this.listeners[ev] = f; },
    set textContent(t) { this._text = t; this.children = []; },
    get textContent() { return this._text; },
  };
}
const els = { data: { textContent: data } };
["f-label", "f-period", "f-source", "f-flag", "f-text", "count", "more"].forEach((id) => {
  els[id] = node(id);
});
const tbody = node("tbody");
global.document = {
  getElementById: (id) => els[id],
  querySelector: () => tbody,
  createElement: node,
  createTextNode: (t) => ({ text: t }),
  createDocumentFragment: () => node("frag"),
};
eval(code);
const rows = () => tbody.children.flatMap((f) => f.children);
const highlighted = () => rows().filter((tr) =>
  tr.children[tr.children.length - 1].children.some((s) => s.style && s.style.background)).length;
const out = { all: [els.count.textContent, rows().length] };
for (const [id, value, event] of [["f-flag", "confident", "change"], ["f-label", "conservative", "change"]]) {
  els[id].value = value;
  els[id].listeners[event]();
  out[value] = [els.count.textContent, rows().length, highlighted()];
}
console.log(JSON.stringify(out));
