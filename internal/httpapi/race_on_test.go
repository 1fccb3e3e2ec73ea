//go:build race

package httpapi_test

// raceDetector is true when the tests run with -race, which makes each
// request several times slower.
const raceDetector = true
