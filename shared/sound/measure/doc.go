// Package measure measures loops as a producer would: BS.1770-4 loudness,
// a phone speaker's view of them, where their energy sits, how much they
// vary, which pitch classes they stress, and when their notes begin. The
// kits' tests (in package sound) hold every kit to goals stated in these
// terms; bin/loops render prints them.
//
// Everything here works in float64 on whole buffers: it is for tests and
// tools, not for the browser's render path.
package measure
