// Package autograd provides eager reverse-mode automatic differentiation over package
// tensor.
//
// # Overview
//
// A *Var holds a tensor. Leaves are made with Param (gradients wanted), Const (no
// gradient) or NoGrad (inference input). Every differentiable tensor op has a
// counterpart here taking and returning *Var; when any input requires gradients the
// result remembers the op, so ordinary Go control flow builds the graph. Backward on a
// scalar sorts the graph and runs each op's rule in reverse, accumulating gradients in
// the leaves' Grad; ZeroGrad clears them.
//
// # Gradients of gradients
//
// Backward rules are written with the package's own ops, so Grad(outputs, inputs, nil,
// true) returns gradients that are themselves on the graph: a loss may contain a
// gradient norm (WGAN-GP, R1) and be differentiated again.
//
// # No-grad inference
//
// Nothing is recorded for an op that has a NoGrad input or an input computed from one,
// so running a model on NoGrad(x) builds no graph and allocates no tape. Graph state
// lives only in the Vars, never in globals: independent graphs may be built and
// differentiated from many goroutines at once. Backward accumulates into shared
// parameters' Grad fields, so concurrent Backward calls must not share parameters; use
// Grad, which touches no shared state, instead.
//
// # Custom ops
//
// Implement Function (name, forward on tensors, backward on Vars) and call Apply;
// check it with GradCheck, which compares against central differences. The tutorial
// docs/custom-op.md in the repository
// (https://github.com/genblocks/genblocks/blob/main/docs/custom-op.md) walks through a
// PReLU op with its backward rule, first- and second-order gradient checks and
// training; its code is examples/tutorial/customop.
//
// # Errors
//
// Shape mistakes panic with a *tensor.Error naming the op and shapes, as in tensor.
package autograd
