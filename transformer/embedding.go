package transformer

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Positions selects how a model tells positions apart.
type Positions int

// The position encodings. DefaultPositions means the model's own default: learned for
// GPT, sinusoidal for Seq2Seq.
const (
	DefaultPositions    Positions = iota
	LearnedPositions              // a trained (BlockSize,Dim) table added to the token embeddings
	SinusoidalPositions           // the fixed table of Vaswani et al. 2017, added
	RotaryPositions               // queries and keys rotated in attention (Su et al. 2021); nothing added
)

// String names the encoding.
func (p Positions) String() string {
	switch p {
	case LearnedPositions:
		return "learned"
	case SinusoidalPositions:
		return "sinusoidal"
	case RotaryPositions:
		return "rotary"
	}
	return "default"
}

// TokenEmbedding maps token ids to vectors: a learned token table, scaled by Scale, plus
// a position table (learned, fixed sinusoidal, or none when positions are rotary).
type TokenEmbedding struct {
	Tok   *nn.Embedding
	Pos   *nn.Embedding  // learned positions, or nil
	Sin   *tensor.Tensor // (MaxLen,Dim) sinusoidal positions, or nil
	Scale float32        // multiplies the token vectors; 1 for none
	drop  *nn.Dropout
}

// NewTokenEmbedding creates the token table under vb.Push(tokName) and, for learned
// positions, the position table under vb.Push(posName), both initialised from
// N(0, std²). It panics for DefaultPositions (resolve it first).
func NewTokenEmbedding(vb *nn.VarBuilder, tokName, posName string, vocab, maxLen, dim int, pos Positions, std float64, scale, dropout float32) *TokenEmbedding {
	e := &TokenEmbedding{Tok: nn.NewEmbedding(vb.Push(tokName), vocab, dim, nn.Normal(0, std)), Scale: scale}
	switch pos {
	case LearnedPositions:
		e.Pos = nn.NewEmbedding(vb.Push(posName), maxLen, dim, nn.Normal(0, std))
	case SinusoidalPositions:
		e.Sin = nn.SinusoidalPositions(maxLen, dim)
	case RotaryPositions:
	default:
		tensor.Panicf("NewTokenEmbedding", "position encoding %v", pos)
	}
	if dropout > 0 {
		e.drop = nn.NewDropout(vb, dropout)
	}
	return e
}

// MaxLen returns the number of positions the table holds, or 0 when unlimited.
func (e *TokenEmbedding) MaxLen() int {
	switch {
	case e.Pos != nil:
		return e.Pos.Weight.Size(0)
	case e.Sin != nil:
		return e.Sin.Size(0)
	}
	return 0
}

// Forward embeds ids (B,T) at positions pos, which is (T) or (B,T) of whole numbers
// (nil means 0…T-1), and returns (B,T,Dim). It panics when a position is past MaxLen.
func (e *TokenEmbedding) Forward(ids *autograd.Var, pos *tensor.Tensor) *autograd.Var {
	t := ids.Size(-1)
	if pos == nil {
		pos = tensor.Arange(0, float32(t), 1)
	}
	if ml := e.MaxLen(); ml > 0 {
		if m := tensor.Max(pos, false).Item(); int(m) >= ml {
			tensor.Panicf("TokenEmbedding", "position %d past the %d the model was built for (ids %s)", int(m), ml, tensor.ShapeString(ids.Shape()))
		}
	}
	x := e.Tok.Forward(ids) // (B,T) -> (B,T,C)
	if e.Scale != 1 && e.Scale != 0 {
		x = autograd.MulScalar(x, e.Scale)
	}
	switch {
	case e.Pos != nil:
		var p *autograd.Var
		if ids.IsNoGrad() {
			p = autograd.NoGrad(pos)
		} else {
			p = autograd.Const(pos)
		}
		x = autograd.Add(x, e.Pos.Forward(p)) // (B,T,C) + ((B,)T,C)
	case e.Sin != nil:
		d := e.Sin.Size(1)
		flat := tensor.IndexSelect(e.Sin, 0, pos.Reshape(-1))
		x = autograd.Add(x, autograd.Const(flat.Reshape(append(pos.Shape(), d)...)))
	}
	if e.drop != nil {
		x = e.drop.Forward(x)
	}
	return x
}

// sqrtDim is √dim as float32, the embedding scale of Vaswani et al. 2017.
func sqrtDim(dim int) float32 { return float32(math.Sqrt(float64(dim))) }
