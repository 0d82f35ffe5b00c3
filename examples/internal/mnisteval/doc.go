// Package mnisteval scores generated MNIST digits with a small classifier shipped
// inside the package, so that the VAE, GAN and diffusion examples share one yardstick
// and nobody has to train or download anything.
//
// # Overview
//
// The classifier is the CNN of examples/mnist (-arch cnn): two 3×3 convolutions with
// max pooling, a 128-unit hidden layer and a 10-way output, about 207,000 parameters,
// trained once with genblocks (99.08% test accuracy) and embedded as float16
// safetensors (classifier.safetensors, 414 KB). The mean and covariance of its 128 hidden
// features over the 10,000 MNIST test images are embedded as well
// (teststats.safetensors), so Evaluate needs no data set:
//
//	ev, err := mnisteval.Load()
//	if err != nil { … }
//	rep := ev.Evaluate(images) // images: [][]float32, 784 values in [0,1] each
//	fmt.Println(rep)           // n 10000 | coverage 0:9.8% 1:11.4% … | confidence 0.990 | Fréchet 0.00
//
// A Report gives the share of each predicted digit (Coverage: a model that collapses
// onto a few digits shows it here), the entropy of that histogram (ln 10 ≈ 2.303 nats
// at most), the mean top-class probability (Confidence: blurry or ambiguous digits
// lower it) and the Fréchet distance between Gaussian fits of the classifier's hidden
// features of the images and of the MNIST test set (the FID recipe of Heusel et al.,
// https://arxiv.org/abs/1706.08500, with this classifier in place of Inception). The
// scale, for 10,000 images: the test set itself scores 0, the first 10,000 training
// images 3.8, the 0s and 1s among them 750 (a model that has collapsed onto two
// digits), uniform noise 1700. Fréchet values are only comparable between sets of the
// same size: the estimate is biased upwards for small sets.
//
// # Shapes
//
// An image is 784 float32 values, a 28×28 grey-level image in row-major order, 0 black
// and 1 white, as examples/internal/mnist loads them. Features are 128 values per
// image.
//
// # Concurrency
//
// An Evaluator is immutable after Load: Classify, Features and Evaluate run the network
// on autograd.NoGrad inputs in inference mode and may be called from many goroutines.
//
// # Errors
//
// An image that is not 784 values long panics (a programmer mistake). Load returns an
// error only if the embedded files are corrupt.
//
// # Reproducing the embedded files
//
// The command in cmd/trainclassifier trains the classifier on MNIST, prints its test
// accuracy and rewrites both embedded files; go generate runs its two stages (5 epochs
// with random shifts, then one epoch of fine-tuning), 30 minutes on the shared 2-core
// development machine (load average 15–22):
//
//	go generate ./examples/internal/mnisteval
package mnisteval

//go:generate go run ./cmd/trainclassifier -out .
//go:generate go run ./cmd/trainclassifier -out . -init classifier.safetensors -epochs 1 -lr 2e-4 -shift 0
