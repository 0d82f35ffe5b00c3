// Package plot draws the pictures the runnable examples show people: sample grids,
// strips of images such as a forward-diffusion sequence, attention heat maps and
// loss curves, written as PNG files. It uses only the standard library (image,
// image/png, image/color, image/draw) and carries its own small pixel font.
//
// # Overview
//
//   - Grid and GridRGB tile grey-level or (C,H,W) colour images with values in [0,1]
//     into a grid; Strip lays images out in a row with a label under each; Upscale
//     enlarges a picture by an integer factor, keeping pixels crisp.
//   - Heatmap colours a matrix with the Viridis colour map, with row and column labels
//     and a colour bar.
//   - Lines draws a line chart of several Series with title, axis ticks and titles, a
//     legend, an optional logarithmic y axis and optional smoothing.
//   - DrawText writes ASCII text with a built-in 5×7 pixel font; TextSize measures it.
//   - SavePNG writes a picture atomically, creating directories as needed.
//
// # Errors
//
// Arguments that can only be wrong through a programming mistake (image sizes that do
// not match h·w, ragged matrices, a non-positive cell size) make the functions panic
// with a message naming the function and the sizes. Only SavePNG, which touches the
// file system, returns an error.
package plot
