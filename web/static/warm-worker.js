// The page's WASM compiled and warmed off the page's thread. Chromium
// compiles a WASM function the first time it runs, on the thread that runs
// it: Go's first run on the page (the runtime, the packages' inits) was a
// task of hundreds of milliseconds, most of it compiling. Here the module
// is compiled from the network, handed to the page at once, and run in its
// warm mode (app/warm_worker.go), whose functions' code the page's copy of
// the module then shares. The page starts its own run when this one says
// "warm" (app.js, loopsWarmInstantiate); this one then stays on to render
// the page's loops (app/render_worker.go).
self.loopsWarmWorker = true;

// A stand-in for the page's document, which a worker has not: the warm run
// mounts the jam page into it with go-app's own engine, so that go-app's
// mount and update are compiled here too. It keeps the tree and ignores
// what draws or listens.
class WarmNode {
  constructor(name, type) {
    this.nodeName = this.tagName = name;
    this.nodeType = type;
    this.childNodes = [];
    this.parentNode = null;
    this.attributes = new Map();
    this.style = {};
    this.dataset = {};
    this.nodeValue = null;
  }
  get firstChild() { return this.childNodes[0] ?? null; }
  get lastChild() { return this.childNodes[this.childNodes.length - 1] ?? null; }
  get firstElementChild() { return this.childNodes.find((n) => n.nodeType === 1) ?? null; }
  get parentElement() { return this.parentNode; }
  get nextSibling() {
    const siblings = this.parentNode ? this.parentNode.childNodes : [];
    return siblings[siblings.indexOf(this) + 1] ?? null;
  }
  get classList() { return { add() {}, remove() {}, toggle() {}, contains: () => false }; }
  appendChild(n) { return this.insertBefore(n, null); }
  insertBefore(n, ref) {
    if (n.parentNode) n.parentNode.removeChild(n);
    const i = ref ? this.childNodes.indexOf(ref) : -1;
    this.childNodes.splice(i < 0 ? this.childNodes.length : i, 0, n);
    n.parentNode = this;
    return n;
  }
  removeChild(n) {
    const i = this.childNodes.indexOf(n);
    if (i >= 0) this.childNodes.splice(i, 1);
    n.parentNode = null;
    return n;
  }
  replaceChild(n, old) {
    this.insertBefore(n, old);
    return this.removeChild(old);
  }
  remove() { if (this.parentNode) this.parentNode.removeChild(this); }
  setAttribute(k, v) { this.attributes.set(k, String(v)); }
  getAttribute(k) { return this.attributes.has(k) ? this.attributes.get(k) : null; }
  hasAttribute(k) { return this.attributes.has(k); }
  removeAttribute(k) { this.attributes.delete(k); }
  set innerHTML(html) { this.childNodes = []; this.appendChild(new WarmNode("#text", 3)); }
  addEventListener() {}
  removeEventListener() {}
  querySelector() { return null; }
  querySelectorAll() { return []; }
  closest() { return null; }
  focus() {}
  blur() {}
  scrollIntoView() {}
  showModal() {}
  close() {}
}
self.document = {
  body: new WarmNode("BODY", 1),
  head: new WarmNode("HEAD", 1),
  documentElement: new WarmNode("HTML", 1),
  title: "",
  createElement: (tag) => new WarmNode(tag.toUpperCase(), 1),
  createElementNS: (ns, tag) => new WarmNode(tag, 1),
  createTextNode: (text) => Object.assign(new WarmNode("#text", 3), { nodeValue: text }),
  getElementById: () => null,
  querySelector: () => null,
  addEventListener() {},
  removeEventListener() {},
};
self.document.body.appendChild(self.document.createElement("div"));
self.innerWidth = 420;
self.innerHeight = 900;
importScripts("/wasm_exec.js");
WebAssembly.compileStreaming(fetch("/web/app.wasm"))
  .then(async (module) => {
    self.postMessage({ type: "module", module });
    const go = new Go();
    // The Go side says "warm", then renders the page's loops
    // (app/render_worker.go) for as long as the page lives.
    await go.run(await WebAssembly.instantiate(module, go.importObject));
    self.close();
  })
  .catch((err) => self.postMessage({ type: "error", message: String(err) }));
