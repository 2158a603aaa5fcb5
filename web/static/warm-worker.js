// The page's WASM compiled and warmed off the page's thread, then the jam
// page's loops rendered here. Chromium compiles a WASM function the first
// time it runs, on the thread that runs it: Go's first run on the page (the
// runtime, the packages' inits) was a task of hundreds of milliseconds,
// most of it compiling. Here the module is compiled from the network,
// handed to the page at once, and run in its warm mode
// (app/warm_worker.go), whose functions' code the page's copy of the
// module then shares. Go says "warm" when it is done and stays, as the
// render worker (app/render_worker.go): the page starts its own run then
// (app.js, loopsWarmInstantiate). A render request that arrives before the
// Go side listens waits in the inbox.
self.loopsWarmWorker = true;
self.loopsRenderInbox = [];
self.onmessage = (e) => self.loopsRenderInbox.push(e.data);
importScripts("/wasm_exec.js");
WebAssembly.compileStreaming(fetch("/web/app.wasm"))
  .then(async (module) => {
    self.postMessage({ type: "module", module });
    const go = new Go();
    await go.run(await WebAssembly.instantiate(module, go.importObject));
    self.postMessage({ type: "error", message: "the warm worker's Go ended" });
    self.close();
  })
  .catch((err) => self.postMessage({ type: "error", message: String(err) }));
