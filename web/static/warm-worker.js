// The page's WASM compiled and warmed off the page's thread. Chromium
// compiles a WASM function the first time it runs, on the thread that runs
// it: Go's first run on the page (the runtime, the packages' inits) was a
// task of hundreds of milliseconds, most of it compiling. Here the module
// is compiled from the network, handed to the page at once, and run in its
// warm mode (app/warm_worker.go), whose functions' code the page's copy of
// the module then shares. The page starts its own run when this one says
// "warm" (app.js, loopsWarmInstantiate).
self.loopsWarmWorker = true;
importScripts("/wasm_exec.js");
WebAssembly.compileStreaming(fetch("/web/app.wasm"))
  .then(async (module) => {
    self.postMessage({ type: "module", module });
    const go = new Go();
    await go.run(await WebAssembly.instantiate(module, go.importObject));
    self.postMessage({ type: "warm" });
    self.close();
  })
  .catch((err) => self.postMessage({ type: "error", message: String(err) }));
