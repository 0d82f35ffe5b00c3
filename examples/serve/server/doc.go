// Package server serves generative models over HTTP/JSON with the standard library
// only. It knows models through two small interfaces, TextModel and ImageModel, so any
// family (transformer, GAN, VAE, diffusion) plugs in through an adapter; Autoregressive
// turns a next-token logits function into a TextModel.
//
// # Endpoints
//
//	POST /v1/generate  {"model","prompt","max_tokens","temperature","top_k","top_p","seed","stop","stream"}
//	                   -> JSON GenerateResponse, or server-sent events with "stream":true:
//	                      event: token  data: {"text":"…"}        (one per piece of text)
//	                      event: done   data: GenerateResponse   (text empty, usage filled)
//	                      event: error  data: {"error":{…}}      (failure after the stream began)
//	POST /v1/images    {"model","n","seed","class","steps","guidance"}
//	                   -> image/png when Accept prefers image/png (n must be 1),
//	                      else JSON ImageResponse with base64 PNGs
//	GET  /v1/models    served models and limits
//	GET  /healthz      200 {"status":"ok"}, 503 while draining
//	GET  /metrics      Prometheus text format: requests by path and code, latency
//	                   histogram, tokens and images generated, pool occupancy, RSS
//
// # Limits and failures
//
// Every error is JSON {"error":{"code","message","field","request_id"}}:
//
//   - 400: invalid JSON or a parameter out of range; field names the culprit.
//   - 404: unknown model (or endpoint). 405: wrong method (Allow is set).
//   - 413: body over Limits.MaxBodyBytes.
//   - 429: all Limits.Workers busy and Limits.Queue waiting; Retry-After is set.
//   - 500: the model failed or panicked; panics are recovered and logged with the
//     request id and stack.
//   - 504: Limits.Timeout passed. The request's context reaches the model, which must
//     stop when it is done; a client that disconnects cancels the same context (logged
//     as 499, as nginx does).
//
// Once a stream has begun the status cannot change, so failures arrive as an error event.
//
// # Concurrency
//
// Models are called from many goroutines at once and must be safe for it. A request
// holds a worker for the whole model call; at most Workers run and at most Queue wait.
// Serve drains in-flight requests on shutdown, then cancels what is left.
package server
