// Small C helpers for the Go binding: they keep libvpx's macros, unions and
// varargs controls out of Go, and let one cgo call do one frame's work.
#ifndef INTEGRITYBOT_VPX_BINDING_H
#define INTEGRITYBOT_VPX_BINDING_H

#include <stdint.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vpx_encoder.h>

// ib_dec is one decoder; allocated in C so libvpx never sees Go memory it keeps.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t *img;
	int corrupted;
} ib_dec;

ib_dec *ib_dec_new(int vp9, vpx_codec_err_t *err);
vpx_codec_err_t ib_dec_frame(ib_dec *d, const uint8_t *data, unsigned int n);
void ib_dec_free(ib_dec *d);

// ib_enc is one encoder with its input image.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_image_t *img;
	vpx_codec_iter_t iter;
	int layers; // temporal layers (VP8 only), 1 if none
	int phase;  // position in the layer pattern of the next frame
	int tid;    // temporal layer of the last frame encoded
	int sync;   // the last frame references only base layer frames
	int nonref; // no later frame references the last frame
} ib_enc;

// ib_enc_new makes an encoder; layers 2 or 3 turns on VP8 temporal scalability with the
// patterns of libvpx's vpx_temporal_svc_encoder.c (layering modes 1 and 3).
ib_enc *ib_enc_new(int vp9, int w, int h, int fps, int kbps, int layers, vpx_codec_err_t *err);
vpx_codec_err_t ib_enc_frame(ib_enc *e, int64_t pts, int force_kf);
// ib_enc_next returns the next compressed frame of the last ib_enc_frame call, or 0.
int ib_enc_next(ib_enc *e, const uint8_t **data, size_t *n, int *key);
void ib_enc_free(ib_enc *e);

#endif
