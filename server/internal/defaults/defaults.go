// Package defaults fills in the fields of a configuration left unset.
package defaults

// Number is what a configuration's sizes, limits, rates and durations
// (time.Duration is an int64) are.
type Number interface {
	~int | ~int64 | ~float64
}

// Set sets *v to d when *v is zero or negative: a field the caller left
// unset, or one it could not mean (a negative size or timeout).
func Set[T Number](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
