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
} ib_enc;

ib_enc *ib_enc_new(int vp9, int w, int h, int fps, int kbps, vpx_codec_err_t *err);
vpx_codec_err_t ib_enc_frame(ib_enc *e, int64_t pts, int force_kf);
// ib_enc_next returns the next compressed frame of the last ib_enc_frame call, or 0.
int ib_enc_next(ib_enc *e, const uint8_t **data, size_t *n, int *key);
void ib_enc_free(ib_enc *e);

#endif
