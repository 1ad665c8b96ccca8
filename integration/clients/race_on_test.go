//go:build race

package clients

// raceDetector: this test binary runs with -race, so the regauth process it drives is built
// with -race too, and a data race in the server under real clients fails the run.
const raceDetector = true
