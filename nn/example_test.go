package nn_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// classifier is a small model whose parameter names are PyTorch state_dict keys.
type classifier struct {
	body nn.Sequential // "body.0", "body.2": Linear layers with a GELU between
	norm *nn.LayerNorm // "norm"
	head *nn.Linear    // "head"
}

func newClassifier(vb *nn.VarBuilder) *classifier {
	return &classifier{
		body: nn.NewMLP(vb.Push("body"), []int{4, 16, 8}, nn.MLPConfig{Activation: nn.GELU{}}),
		norm: nn.NewLayerNorm(vb.Push("norm"), []int{8}, nn.LayerNormConfig{}),
		head: nn.NewLinear(vb.Push("head"), 8, 3, nn.LinearConfig{}),
	}
}

func (c *classifier) Forward(x *autograd.Var) *autograd.Var {
	return c.head.Forward(c.norm.Forward(c.body.Forward(x))) // (B,4) -> (B,3)
}

// Build a model in a VarStore: every parameter gets its PyTorch name.
func Example() {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	model := newClassifier(vs.Root())
	for _, p := range vs.NamedParams() {
		fmt.Println(p.Name, p.Var.Shape())
	}
	fmt.Println(vs.NumParams(), "parameters")
	y := model.Forward(autograd.Const(tensor.Ones(2, 4)))
	fmt.Println("output", y.Shape())
	// Output:
	// body.0.weight [16 4]
	// body.0.bias [16]
	// body.2.weight [8 16]
	// body.2.bias [8]
	// norm.weight [8]
	// norm.bias [8]
	// head.weight [3 8]
	// head.bias [3]
	// 259 parameters
	// output [2 3]
}

// Train the classifier with Adam on a toy problem: the class is the index of the
// largest of the first three features.
func Example_training() {
	rng := rand.New(rand.NewPCG(3, 4))
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	model := newClassifier(vs.Root())
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-2})

	x := tensor.Randn(rng, 64, 4)
	labels := tensor.New(64)
	for i := range 64 {
		row := x.Data()[i*4 : i*4+3]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		labels.Data()[i] = float32(best)
	}
	for step := range 61 {
		loss := nn.CrossEntropyLoss(model.Forward(autograd.Const(x)), labels, nn.CrossEntropyConfig{})
		loss.Backward()
		opt.Step()
		opt.ZeroGrad()
		if step%15 == 0 {
			fmt.Printf("step %2d  loss %.3f\n", step, loss.Item())
		}
	}
	// Output:
	// step  0  loss 1.200
	// step 15  loss 0.313
	// step 30  loss 0.114
	// step 45  loss 0.048
	// step 60  loss 0.020
}

// Save a checkpoint and load it into a freshly built model, as PyTorch's
// torch.save(model.state_dict()) and model.load_state_dict would.
func ExampleVarStore_Save() {
	dir, err := os.MkdirTemp("", "genblocks-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "model.safetensors")

	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	model := newClassifier(vs.Root())
	if err := vs.Save(path, map[string]string{"step": "200"}); err != nil {
		panic(err)
	}

	// A second model starts from other random weights until it loads the file.
	vs2 := nn.NewVarStore(rand.New(rand.NewPCG(7, 8)))
	model2 := newClassifier(vs2.Root())
	x := autograd.Const(tensor.Ones(1, 4))
	same := func() bool { return slices.Equal(model.Forward(x).Value().Data(), model2.Forward(x).Value().Data()) }
	fmt.Println("same before load:", same())
	if err := vs2.Load(path); err != nil {
		panic(err)
	}
	fmt.Println("same after load:", same())

	// Load is strict: a model with another shape is refused, naming the keys.
	vs3 := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	nn.NewLinear(vs3.Root().Push("head"), 8, 4, nn.LinearConfig{})
	fmt.Println(vs3.Load(path) != nil)
	// Output:
	// same before load: false
	// same after load: true
	// true
}

// Causal self-attention: each position attends only to itself and earlier ones, so
// the first output row is the first value row.
func ExampleScaledDotProductAttention() {
	q := autograd.Const(tensor.FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2))
	k := q
	v := autograd.Const(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2))
	fmt.Println(nn.CausalMask(3, 3))
	y := nn.ScaledDotProductAttention(q, k, v, nil, true) // (3,2),(3,2),(3,2) -> (3,2)
	fmt.Println(y.Value())
	// Output:
	// tensor([[0., 1., 1.],
	//         [0., 0., 1.],
	//         [0., 0., 0.]], shape=(3,3))
	// tensor([[1.0000, 2.0000],
	//         [2.3395, 3.3395],
	//         [3.5105, 4.5105]], shape=(3,2))
}
