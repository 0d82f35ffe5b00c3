package transformer

import (
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// NextTokenLoss is the language-model loss: the cross-entropy of logits (B,T,V) at
// positions 0…T-2 against the ids (B,T) at positions 1…T-1, so that each position
// predicts the one after it. cfg selects the ignore index (targets equal to it, or
// negative, are skipped), label smoothing and reduction. It panics if the shapes do
// not fit.
func NextTokenLoss(logits *autograd.Var, ids *tensor.Tensor, cfg nn.CrossEntropyConfig) *autograd.Var {
	if logits.Dim() != 3 || ids.Dim() != 2 || logits.Size(0) != ids.Size(0) || logits.Size(1) != ids.Size(1) {
		tensor.Panicf("NextTokenLoss", "logits %s and ids %s, want (B,T,V) and (B,T)",
			tensor.ShapeString(logits.Shape()), tensor.ShapeString(ids.Shape()))
	}
	t := ids.Size(1)
	pred := autograd.Narrow(logits, 1, 0, t-1) // (B,T-1,V)
	return nn.CrossEntropyLoss(pred, tensor.Narrow(ids, 1, 1, t-1), cfg)
}

// SequenceLoss is the Seq2Seq training loss: the cross-entropy of logits (B,T,V)
// against targets (B,T) already aligned (the decoder input is the start token followed
// by targets[:, :-1]), skipping targets equal to pad and mixing in label smoothing ε
// (Szegedy et al. 2016; Vaswani et al. use 0.1), averaged over the counted targets.
func SequenceLoss(logits *autograd.Var, targets *tensor.Tensor, pad int, smoothing float32) *autograd.Var {
	return nn.CrossEntropyLoss(logits, targets, nn.CrossEntropyConfig{Ignore: true, IgnoreIndex: pad, LabelSmoothing: smoothing})
}

// RandomWindows draws batch windows of blockSize+1 consecutive tokens from stream at
// positions chosen by rng and returns the inputs x (batch,blockSize) and the targets y
// (batch,blockSize), y shifted one token to the right of x — nanoGPT's get_batch. Use
// the logits of x against y with nn.CrossEntropyLoss. It panics if the stream is not
// longer than blockSize.
func RandomWindows(rng *rand.Rand, stream []int, batch, blockSize int) (x, y *tensor.Tensor) {
	if len(stream) <= blockSize {
		tensor.Panicf("RandomWindows", "stream of %d tokens is too short for windows of %d", len(stream), blockSize)
	}
	x, y = tensor.New(batch, blockSize), tensor.New(batch, blockSize)
	xd, yd := x.Data(), y.Data()
	for b := 0; b < batch; b++ {
		off := rng.IntN(len(stream) - blockSize)
		for t := 0; t < blockSize; t++ {
			xd[b*blockSize+t] = float32(stream[off+t])
			yd[b*blockSize+t] = float32(stream[off+t+1])
		}
	}
	return x, y
}

// Perplexity returns exp(loss) for a mean cross-entropy loss in nats.
func Perplexity(loss float64) float64 { return math.Exp(loss) }

// EvalLoss returns the mean next-token loss of m over iters random batches of stream
// drawn from rng, in evaluation mode with no graph. The store's training flag is
// restored afterwards, so do not call it while another goroutine trains m.
func (m *GPT) EvalLoss(rng *rand.Rand, stream []int, batch, blockSize, iters int) float64 {
	was := m.Store.Training()
	m.Store.SetTraining(false)
	defer m.Store.SetTraining(was)
	var sum float64
	for i := 0; i < iters; i++ {
		x, y := RandomWindows(rng, stream, batch, blockSize)
		sum += float64(nn.CrossEntropyLoss(m.Forward(autograd.NoGrad(x)), y, nn.CrossEntropyConfig{}).Item())
	}
	return sum / float64(iters)
}
