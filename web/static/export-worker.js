// The WAV export of a recording page, off the page's thread: the app's own
// WASM started a second time, here, in its export mode (app/export_worker.go).
// A message that arrives before the Go side listens waits in the inbox.
self.loopsExportWorker = true;
self.loopsExportInbox = [];
self.onmessage = (e) => self.loopsExportInbox.push(e.data);
importScripts("/wasm_exec.js");
const go = new Go();
WebAssembly.instantiateStreaming(fetch("/web/app.wasm"), go.importObject)
  .then((r) => go.run(r.instance))
  .catch((err) => self.postMessage({ type: "error", message: "the export could not start: " + err }));
