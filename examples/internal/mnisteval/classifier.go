package mnisteval

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
)

// FeatureDim is the number of features per image: the width of the classifier's
// hidden layer.
const FeatureDim = 128

// Net is the classifier: the CNN of examples/mnist (-arch cnn), split after its hidden
// layer so one forward pass gives both the features and the logits. Its parameter
// names ("0.weight", "3.weight", "7.weight", "9.weight" and biases) are those of the
// equivalent PyTorch nn.Sequential and of examples/mnist, whose checkpoints it loads.
type Net struct {
	Body nn.Sequential // (B,784) -> (B,128) features, after the hidden ReLU
	Head *nn.Linear    // (B,128) -> (B,10) logits
}

// NewNet creates the classifier's parameters in vb, initialised as PyTorch would.
func NewNet(vb *nn.VarBuilder) *Net {
	return &Net{
		Body: nn.Sequential{
			nn.Func(func(x *autograd.Var) *autograd.Var { return autograd.Reshape(x, -1, 1, 28, 28) }),            // (B,784) -> (B,1,28,28)
			nn.NewConv2d(vb.Push("0"), 1, 16, 3, nn.Conv2dConfig{Padding: 1}), nn.ReLU{}, nn.MaxPool2d{Kernel: 2}, // (B,16,14,14)
			nn.NewConv2d(vb.Push("3"), 16, 32, 3, nn.Conv2dConfig{Padding: 1}), nn.ReLU{}, nn.MaxPool2d{Kernel: 2}, // (B,32,7,7)
			nn.NewFlatten(), // (B,1568)
			nn.NewLinear(vb.Push("7"), 32*7*7, FeatureDim, nn.LinearConfig{}), nn.ReLU{}, // (B,128)
		},
		Head: nn.NewLinear(vb.Push("9"), FeatureDim, 10, nn.LinearConfig{}),
	}
}

// Forward maps images x (B,784) to their features (B,128) and logits (B,10). It panics
// if x does not have 784 values per row.
func (n *Net) Forward(x *autograd.Var) (features, logits *autograd.Var) {
	features = n.Body.Forward(x)
	return features, n.Head.Forward(features)
}
