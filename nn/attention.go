package nn

import (
	"math"
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// maskValue fills blocked attention scores. It is finite so that a row with every key
// blocked (a padding query) yields a uniform distribution instead of NaNs.
const maskValue = -1e30

// CausalMask returns the (tq,tk) mask that is 1 where query i may not look at key j
// because j comes after it; the tq queries are the last tq of the tk positions (so it
// serves incremental decoding with a KV cache).
func CausalMask(tq, tk int) *tensor.Tensor {
	return tensor.Triu(tensor.Ones(tq, tk), tk-tq+1)
}

// PaddingMask returns the (B,1,1,T) mask that is 1 at padded key positions, from
// lengths (B) of valid tokens; positions ≥ length are padding.
func PaddingMask(lengths []int, t int) *tensor.Tensor {
	m := tensor.New(len(lengths), 1, 1, t)
	d := m.Data()
	for b, n := range lengths {
		for j := n; j < t; j++ {
			d[b*t+j] = 1
		}
	}
	return m
}

// ScaledDotProductAttention returns softmax(q·kᵀ/√d)·v over the last two axes:
// q (…,Tq,d), k (…,Tk,d), v (…,Tk,dv) -> (…,Tq,dv). mask, if not nil, broadcasts to
// (…,Tq,Tk) and is nonzero where a query may NOT attend (as CausalMask and PaddingMask
// build it); causal adds CausalMask(Tq,Tk). It panics if the shapes do not fit.
func ScaledDotProductAttention(q, k, v *autograd.Var, mask *tensor.Tensor, causal bool) *autograd.Var {
	d := q.Size(-1)
	if k.Size(-1) != d || k.Size(-2) != v.Size(-2) {
		tensor.Panicf("ScaledDotProductAttention", "q %s, k %s and v %s do not fit",
			tensor.ShapeString(q.Shape()), tensor.ShapeString(k.Shape()), tensor.ShapeString(v.Shape()))
	}
	scale := float32(1 / math.Sqrt(float64(d)))
	if mask == nil {
		if slices.Equal(q.Shape()[:q.Dim()-2], k.Shape()[:k.Dim()-2]) && slices.Equal(k.Shape()[:k.Dim()-2], v.Shape()[:v.Dim()-2]) {
			// One fused op for the whole attention, without a (…,Tq,Tk) tensor.
			return autograd.Attention(q, k, v, scale, causal) // (…,Tq,dv)
		}
		// One fused op for scale, causal mask and softmax.
		att := autograd.ScaledSoftmax(autograd.MatMulT(q, k, false, true), scale, causal) // (…,Tq,Tk)
		return autograd.MatMul(att, v)                                                    // (…,Tq,Tk)·(…,Tk,dv) -> (…,Tq,dv)
	}
	scores := autograd.MulScalar(autograd.MatMulT(q, k, false, true), scale) // (…,Tq,Tk)
	if causal {
		scores = autograd.MaskedFill(scores, CausalMask(q.Size(-2), k.Size(-2)), maskValue)
	}
	if mask != nil {
		scores = autograd.MaskedFill(scores, mask, maskValue)
	}
	return autograd.MatMul(autograd.Softmax(scores, -1), v) // (…,Tq,Tk)·(…,Tk,dv) -> (…,Tq,dv)
}

// KVCache holds the keys and values of the positions a decoder has already seen, so
// each new token costs O(T) instead of recomputing O(T²). One cache serves one
// sequence batch of one attention layer; it is per request, never shared.
//
// A cache is filled either by Append, which keeps the keys and values in K and V and
// copies the whole cache per call, or by Attend, the inference path, which keeps them
// in a buffer with spare capacity (K and V stay nil; KV returns them) so that a token
// copies only its own keys and values. Either method converts a cache the other one
// filled.
type KVCache struct {
	K, V *tensor.Tensor // (B,heads,T,hs) as filled by Append, nil when empty

	kbuf, vbuf *tensor.Tensor // (B,heads,capacity,hs) as filled by Attend
	n          int            // positions held in kbuf and vbuf
}

// Len returns the number of cached positions.
func (c *KVCache) Len() int {
	switch {
	case c == nil:
		return 0
	case c.kbuf != nil:
		return c.n
	case c.K == nil:
		return 0
	}
	return c.K.Size(2)
}

// Reset empties the cache.
func (c *KVCache) Reset() { c.K, c.V, c.kbuf, c.vbuf, c.n = nil, nil, nil, nil, 0 }

// KV returns the cached keys and values (B,heads,T,hs), or nils when the cache is
// empty. The tensors belong to the cache while it is filled by Append; they are copies
// when it is filled by Attend.
func (c *KVCache) KV() (k, v *tensor.Tensor) {
	if c.kbuf == nil {
		return c.K, c.V
	}
	return tensor.Narrow(c.kbuf, 2, 0, c.n), tensor.Narrow(c.vbuf, 2, 0, c.n)
}

// Append adds k and v (B,heads,t,hs) to the cache and returns all cached keys and
// values (B,heads,T+t,hs) as inference inputs (no gradient flows into the cache).
func (c *KVCache) Append(k, v *autograd.Var) (*autograd.Var, *autograd.Var) {
	if c.kbuf != nil {
		c.K, c.V = c.KV()
		c.kbuf, c.vbuf, c.n = nil, nil, 0
	}
	if c.K != nil {
		c.K = tensor.Concat(2, c.K, k.Value())
		c.V = tensor.Concat(2, c.V, v.Value())
	} else {
		c.K, c.V = k.Value(), v.Value()
	}
	return autograd.NoGrad(c.K), autograd.NoGrad(c.V)
}

// Attend adds k and v (B,heads,t,hs) to the cache and returns the attention of q
// (B,heads,Tq,hs) over every cached position, (B,heads,Tq,hs): the same values as
// ScaledDotProductAttention(q, K, V, nil, causal) on the cache after Append, where with
// causal query i sees the positions up to i+Len()-Tq. It is the inference path: the
// cache grows in place (its capacity doubles when full) and each query row is computed
// in one pass with no (Tq,T) score matrix. As with Append, the result is an
// inference value: no gradient flows through a cache. It panics if the shapes do not
// fit.
func (c *KVCache) Attend(q, k, v *autograd.Var, causal bool) *autograd.Var {
	kt, vt := k.Value(), v.Value()
	if kt.Dim() != 4 || !tensor.SameShape(kt, vt) {
		tensor.Panicf("KVCache.Attend", "k %s and v %s, want (B,heads,t,hs) both",
			tensor.ShapeString(kt.Shape()), tensor.ShapeString(vt.Shape()))
	}
	if c.kbuf == nil && c.K != nil {
		// Filled by Append so far: move into a buffer.
		c.n = c.K.Size(2)
		c.kbuf, c.vbuf = c.K, c.V
		c.K, c.V = nil, nil
	}
	b, h, t, hs := kt.Size(0), kt.Size(1), kt.Size(2), kt.Size(3)
	if c.kbuf != nil {
		s := c.kbuf.Shape()
		if s[0] != b || s[1] != h || s[3] != hs {
			tensor.Panicf("KVCache.Attend", "k %s for a cache of %s", tensor.ShapeString(kt.Shape()), tensor.ShapeString(s))
		}
	}
	if c.kbuf == nil || c.n+t > c.kbuf.Size(2) {
		capacity := max(2*c.n, c.n+t, 16)
		nk, nv := tensor.New(b, h, capacity, hs), tensor.New(b, h, capacity, hs)
		if c.kbuf != nil {
			copyPositions(nk, c.kbuf, 0, c.n)
			copyPositions(nv, c.vbuf, 0, c.n)
		}
		c.kbuf, c.vbuf = nk, nv
	}
	copyPositions(c.kbuf, kt, c.n, t)
	copyPositions(c.vbuf, vt, c.n, t)
	c.n += t
	d := q.Size(-1)
	out := tensor.Attention(q.Value(), c.kbuf, c.vbuf, c.n, float32(1/math.Sqrt(float64(d))), causal)
	return autograd.NoGrad(out)
}

// copyPositions copies the first t positions (axis 2) of src (B,H,≥t,hs) to positions
// at..at+t of dst (B,H,C,hs).
func copyPositions(dst, src *tensor.Tensor, at, t int) {
	s, d := src.Shape(), dst.Shape()
	hs, sc, dc := s[3], s[2], d[2]
	sd, dd := src.Data(), dst.Data()
	for bh := 0; bh < s[0]*s[1]; bh++ {
		copy(dd[(bh*dc+at)*hs:(bh*dc+at+t)*hs], sd[bh*sc*hs:(bh*sc+t)*hs])
	}
}

// MultiHeadAttentionConfig configures MultiHeadAttention. The zero value has biases
// and no dropout.
type MultiHeadAttentionConfig struct {
	NoBias  bool    // leave out the biases of the four projections
	Dropout float32 // on the attention output projection's input, in training mode
	KVDim   int     // width of the key/value source for cross-attention; 0: same as dim
}

// MultiHeadAttention is the attention of Vaswani et al. 2017
// (https://arxiv.org/abs/1706.03762): queries, keys and values are projected
// ("q_proj", "k_proj", "v_proj"), split into heads, attended with
// ScaledDotProductAttention and projected back ("out_proj"). With the same input for
// queries and keys it is self-attention; with an encoder output as the key/value source
// it is cross-attention.
type MultiHeadAttention struct {
	Heads, Dim   int
	Q, K, V, Out *Linear
	drop         *Dropout
}

// NewMultiHeadAttention creates attention of width dim split into heads. It panics
// unless heads divides dim.
func NewMultiHeadAttention(vb *VarBuilder, dim, heads int, cfg MultiHeadAttentionConfig) *MultiHeadAttention {
	if heads <= 0 || dim%heads != 0 {
		tensor.Panicf("NewMultiHeadAttention", "%d heads do not divide width %d", heads, dim)
	}
	kv := cfg.KVDim
	if kv == 0 {
		kv = dim
	}
	lc := LinearConfig{NoBias: cfg.NoBias}
	m := &MultiHeadAttention{Heads: heads, Dim: dim,
		Q:   NewLinear(vb.Push("q_proj"), dim, dim, lc),
		K:   NewLinear(vb.Push("k_proj"), kv, dim, lc),
		V:   NewLinear(vb.Push("v_proj"), kv, dim, lc),
		Out: NewLinear(vb.Push("out_proj"), dim, dim, lc),
	}
	if cfg.Dropout > 0 {
		m.drop = NewDropout(vb, cfg.Dropout)
	}
	return m
}

// SplitHeads reshapes (B,T,C) to (B,heads,T,C/heads).
func SplitHeads(x *autograd.Var, heads int) *autograd.Var {
	b, t, c := x.Size(0), x.Size(1), x.Size(2)
	return autograd.Permute(autograd.Reshape(x, b, t, heads, c/heads), 0, 2, 1, 3) // (B,T,C) -> (B,nh,T,hs)
}

// MergeHeads reshapes (B,heads,T,hs) back to (B,T,heads·hs).
func MergeHeads(x *autograd.Var) *autograd.Var {
	b, h, t, hs := x.Size(0), x.Size(1), x.Size(2), x.Size(3)
	return autograd.Reshape(autograd.Permute(x, 0, 2, 1, 3), b, t, h*hs) // (B,nh,T,hs) -> (B,T,C)
}

// Forward attends from x (B,Tq,dim) to source (B,Tk,kvdim) — pass x again for
// self-attention — and returns (B,Tq,dim). mask is as for ScaledDotProductAttention
// (broadcast against (B,heads,Tq,Tk)). With a cache, the new keys and values are
// appended to it and the queries attend to every cached position (incremental
// decoding); a nil cache attends to source alone.
func (m *MultiHeadAttention) Forward(x, source *autograd.Var, mask *tensor.Tensor, causal bool, cache *KVCache) *autograd.Var {
	if x.Dim() != 3 || source.Dim() != 3 || x.Size(0) != source.Size(0) {
		tensor.Panicf("MultiHeadAttention", "input %s and source %s, want (B,Tq,C) and (B,Tk,C)",
			tensor.ShapeString(x.Shape()), tensor.ShapeString(source.Shape()))
	}
	q := SplitHeads(m.Q.Forward(x), m.Heads)      // (B,nh,Tq,hs)
	k := SplitHeads(m.K.Forward(source), m.Heads) // (B,nh,Tk,hs)
	v := SplitHeads(m.V.Forward(source), m.Heads) // (B,nh,Tk,hs)
	var y *autograd.Var
	switch {
	case cache != nil && mask == nil:
		y = MergeHeads(cache.Attend(q, k, v, causal)) // (B,Tq,C)
	case cache != nil:
		k, v = cache.Append(k, v)
		fallthrough
	default:
		y = MergeHeads(ScaledDotProductAttention(q, k, v, mask, causal)) // (B,Tq,C)
	}
	if m.drop != nil {
		y = m.drop.Forward(y)
	}
	return m.Out.Forward(y)
}
