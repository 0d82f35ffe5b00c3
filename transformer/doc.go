// Package transformer provides Transformer language and translation models built from
// package nn: a decoder-only GPT that loads HuggingFace GPT-2 checkpoints, an
// encoder–decoder Seq2Seq, their blocks, text generation and training helpers.
//
// # Overview
//
// GPT (gpt.go) is GPT-2 as nanoGPT writes it, configured by GPTConfig, with parameters
// named like HuggingFace's ("wte", "h.0.attn.c_attn", …) so that LoadGPT2Model reads a
// model.safetensors directly. Seq2Seq (seq2seq.go) is the model of Vaswani et al. 2017,
// configured by Seq2SeqConfig, built from EncoderBlock and DecoderBlock (blocks.go),
// which are named like PyTorch's nn.TransformerEncoderLayer and DecoderLayer and
// select pre- or post-LayerNorm. TokenEmbedding adds learned or sinusoidal positions;
// Rotary rotates queries and keys instead (GPTConfig.Positions).
//
// Generation (generate.go, beam.go): GPT.Generate, GenerateBatch and Stream (an
// iter.Seq2 of tokens) sample greedily or with temperature, top-k, top-p and a
// repetition penalty under GenerateConfig, stop at stop tokens, and honour
// context cancellation between tokens. A per-request KV cache makes each new token cost
// O(T); prompts of different lengths are left-padded and masked. Seq2Seq has Generate,
// GenerateBatch and BeamSearch. Sampling draws only from GenerateConfig.Rand.
//
// Training (train.go): RandomWindows cuts batches from a token stream with an explicit
// *rand.Rand, NextTokenLoss shifts logits against ids, SequenceLoss adds label smoothing
// and an ignored pad token, Perplexity and GPT.EvalLoss report progress.
//
// # Inference and concurrency
//
// Run models on autograd.NoGrad inputs for inference: no graph is recorded. Generation
// keeps all state (KV caches, random source) per call, so one model may serve many
// goroutines at once, provided its VarStore is in evaluation mode
// (Store.SetTraining(false)) when it has dropout.
//
// # Shapes
//
// Token ids are whole numbers stored in float32 tensors: (B,T). GPT.Forward maps (B,T)
// to logits (B,T,VocabSize); Seq2Seq.Encode maps (B,S) to (B,S,Dim) and Decode maps
// (B,T) to (B,T,TgtVocab). Attention works on (B,heads,T,Dim/heads). Masks are nonzero
// where attention is blocked, as nn.CausalMask and nn.PaddingMask build them.
//
// # Errors
//
// Programmer mistakes — a wrong shape, a sequence longer than the model's positions, an
// id out of range, an invalid config — panic with a *tensor.Error. Reading checkpoints
// (LoadGPT, LoadGPT2Model, InferGPTConfig) returns errors that name the file and the
// tensors at fault.
package transformer
