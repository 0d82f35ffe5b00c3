package progress_test

import (
	"os"
	"time"

	"github.com/genblocks/genblocks/examples/internal/progress"
)

// A training loop of 300 steps of 128 images, with a clock that takes 50 ms per step
// so the output is reproducible. Written to a file or pipe, a line appears at most
// every 5 seconds (set with Every) and at the last step.
func Example() {
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }

	r := progress.New(os.Stdout, 300, "images").PerStep(128).Every(5 * time.Second).Terminal(false).Clock(now)
	loss := 2.0
	for step := 1; step <= 300; step++ {
		clock = clock.Add(50 * time.Millisecond) // one training step
		loss *= 0.99
		r.Update(step, progress.Float("loss", loss))
		if step == 150 {
			r.Printf("saved checkpoint at step %d", step)
		}
	}
	r.Done()
	// Output:
	// step   1/300   0% | loss=1.980 | 2560 images/s | elapsed 0:00 | eta 0:15
	// step 101/300  33% | loss=0.7247 | 2560 images/s | elapsed 0:05 | eta 0:10
	// saved checkpoint at step 150
	// step 201/300  67% | loss=0.2653 | 2560 images/s | elapsed 0:10 | eta 0:05
	// step 300/300 100% | loss=0.09808 | 2560 images/s | elapsed 0:15
}

func ExampleFloat() {
	r := progress.New(os.Stdout, 0, "").Terminal(false).Clock(func() time.Time { return time.Time{} })
	r.Update(7, progress.Float("loss", 0.123456), progress.Float("grad", 1e-5), progress.Int("epoch", 2), progress.Str("phase", "kl-warmup"))
	// Output:
	// step 7 | loss=0.1235 grad=1.000e-05 epoch=2 phase=kl-warmup | elapsed 0:00
}
