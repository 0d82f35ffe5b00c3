// Package progress reports the progress of a training loop on one line: the step out
// of the total, the latest values of chosen fields (loss=1.234), the speed in the
// loop's own unit (images/s, tokens/s), the time elapsed and the estimated time left:
//
//	step  120/1000  12% | loss=0.1234 | 512.0 images/s | elapsed 0:15 | eta 1:50
//
// On a terminal the line is rewritten in place with a carriage return; anywhere else
// (a log file, a pipe, CI output) a plain line is written at most once per interval, so
// logs stay short. It uses only the standard library.
//
// # Usage
//
//	r := progress.New(os.Stderr, steps, "images").PerStep(batchSize)
//	for step := 1; step <= steps; step++ {
//		loss := trainStep()
//		r.Update(step, progress.Float("loss", loss))
//	}
//	r.Done()
//
// The clock can be replaced (Clock) so that output is deterministic in tests. A
// Reporter is safe for use by several goroutines.
//
// # Errors
//
// Progress output is best effort: write errors on w are ignored, since a broken log
// must not stop training. PerStep panics when its count is not positive.
package progress
