// Package optim provides optimizers, gradient clipping, learning-rate schedules and
// weight averaging for training models built with package autograd.
//
// # Overview
//
// An optimizer updates parameters, []*autograd.Var, from the gradients Backward
// accumulated in them:
//
//	opt := optim.NewAdamW(params, optim.AdamConfig{LR: 3e-4})
//	for step := range steps {
//		loss := model(batch)
//		loss.Backward()
//		optim.ClipGradNorm(params, 1)
//		opt.Step()
//		opt.ZeroGrad()
//	}
//
// SGD, Adam, AdamW, RMSprop and Adagrad implement the Optimizer interface with
// exactly PyTorch's update rules (the single-tensor code paths of torch.optim in
// PyTorch 1.13), in float32 like PyTorch on the CPU; scalar factors such as Adam's bias
// corrections are computed in float64 and rounded to float32 as PyTorch does. The
// tests check 20-step trajectories against PyTorch; they agree to about one float32
// rounding (PyTorch's vectorised kernels fuse some multiply-adds). Parameters whose
// gradient is nil are skipped and their state does not advance. After its state has
// been allocated on the first step, Step does not allocate.
//
// # Configuration
//
// Each optimizer takes a config struct whose zero value means PyTorch's defaults, for
// example AdamConfig{} is lr 1e-3, betas (0.9, 0.999), eps 1e-8. Where the zero
// value selects a nonzero default the constant Zero asks for exactly 0:
// AdamConfig{Beta1: optim.Zero}. Invalid values (negative, NaN, a beta outside [0,1))
// panic in the constructor.
//
// # Parameter groups
//
// A Group holds parameters with their own learning rate and weight decay, like a
// PyTorch param_group; the New…Groups constructors take a list of them. DecayGroups
// builds the usual pair for AdamW: matrices with weight decay, biases and
// normalisation gains without. Optimizer.SetLR sets every group's learning rate.
//
// # Schedules
//
// A Schedule maps a step number to a learning rate: Constant, Step, Exponential,
// Cosine, WarmupCosine, WarmupLinear and OneCycle, each matching the corresponding
// torch.optim.lr_scheduler. A Scheduler wraps any Optimizer and sets the scheduled
// learning rate (and, for OneCycle with CycleMomentum, the momentum) before each step;
// it is itself an Optimizer.
//
// # State dicts and resuming
//
// Optimizer.StateDict returns a copy of the optimizer state as named tensors, with
// PyTorch's buffer names: "state.<param>.exp_avg", "state.<param>.exp_avg_sq",
// "state.<param>.step" (a 0-dimensional tensor) and so on, where <param> is the
// parameter's name (Var.Name, set by nn) or, for an unnamed parameter, its index among
// all parameters of all groups. A Scheduler adds "scheduler.step". Saving parameters
// and the state dict and loading both into a fresh model and optimizer continues
// training bitwise as if it had not stopped. Learning rates and other hyperparameters
// are not saved: they come from the config and the schedule.
//
// EMA keeps an exponential moving average of the parameters for sampling; its
// StateDict is keyed by parameter name, so it loads into a model as its weights.
//
// # Errors
//
// Programmer mistakes (an invalid config, a gradient whose shape differs from its
// parameter's, a parameter in two groups) panic with a *tensor.Error naming the
// function. LoadStateDict, which reads data from outside, returns an error instead.
package optim
