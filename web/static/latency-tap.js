// Firefox's output latency gate (app/latency_gate.go): counts the quanta the
// context renders into shared memory (slot 0), so the page sees each burst of
// its audio callbacks end; the page sets slot 1 when it no longer needs it.
registerProcessor("latency-tap", class extends AudioWorkletProcessor {
  constructor(options) {
    super();
    this.slots = new Int32Array(options.processorOptions.slots);
  }
  process() {
    Atomics.add(this.slots, 0, 1);
    return Atomics.load(this.slots, 1) === 0;
  }
});
