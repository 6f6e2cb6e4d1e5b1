#include <stdlib.h>
#include <vpx/vp8cx.h>
#include <vpx/vp8dx.h>

#include "binding.h"

ib_dec *ib_dec_new(int vp9, vpx_codec_err_t *err) {
	ib_dec *d = calloc(1, sizeof(ib_dec));
	if (d == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	*err = vpx_codec_dec_init(&d->ctx, vp9 ? vpx_codec_vp9_dx() : vpx_codec_vp8_dx(), &cfg, 0);
	if (*err != VPX_CODEC_OK) {
		free(d);
		return NULL;
	}
	return d;
}

vpx_codec_err_t ib_dec_frame(ib_dec *d, const uint8_t *data, unsigned int n) {
	d->img = NULL;
	d->corrupted = 0;
	vpx_codec_err_t err = vpx_codec_decode(&d->ctx, data, n, NULL, 0);
	if (err != VPX_CODEC_OK) {
		return err;
	}
	vpx_codec_iter_t iter = NULL;
	d->img = vpx_codec_get_frame(&d->ctx, &iter);
	if (d->img != NULL) {
		// libvpx decodes frames with missing references without failing and
		// only flags them; the control fails when no frame is shown, which
		// cannot happen here.
		int c = 0;
		if (vpx_codec_control(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &c) == VPX_CODEC_OK) {
			d->corrupted = c;
		}
	}
	return VPX_CODEC_OK;
}

void ib_dec_free(ib_dec *d) {
	if (d == NULL) {
		return;
	}
	vpx_codec_destroy(&d->ctx);
	free(d);
}

// Temporal layer patterns (libvpx examples/vpx_temporal_svc_encoder.c, layering modes 1
// and 3: one reference buffer per layer, no prediction within a layer above the base).
// LAST holds the newest base layer frame, GOLDEN the newest TID 1 frame of the 3-layer
// pattern. A base layer frame references and updates LAST only, so it never depends on
// an upper layer frame: a receiver may skip every TID > 0 frame.
#define IB_NO_GA (VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF)
static const int ib_tl2_ids[2] = {0, 1};
static const vpx_enc_frame_flags_t ib_tl2_flags[2] = {
	IB_NO_GA,
	IB_NO_GA | VP8_EFLAG_NO_UPD_LAST,
};
static const int ib_tl3_ids[4] = {0, 2, 1, 2};
static const vpx_enc_frame_flags_t ib_tl3_flags[4] = {
	IB_NO_GA,
	IB_NO_GA | VP8_EFLAG_NO_UPD_LAST,
	VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF | VP8_EFLAG_NO_UPD_ARF | VP8_EFLAG_NO_UPD_LAST,
	VP8_EFLAG_NO_REF_LAST | VP8_EFLAG_NO_REF_ARF | VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF |
		VP8_EFLAG_NO_UPD_ARF,
};

static void ib_enc_layers(vpx_codec_enc_cfg_t *cfg, int layers, int kbps) {
	cfg->ts_number_layers = layers;
	cfg->ts_periodicity = layers == 3 ? 4 : 2;
	if (layers == 3) {
		for (int i = 0; i < 4; i++) cfg->ts_layer_id[i] = ib_tl3_ids[i];
		cfg->ts_rate_decimator[0] = 4;
		cfg->ts_rate_decimator[1] = 2;
		cfg->ts_rate_decimator[2] = 1;
		// Cumulative bitrates, as WebRTC splits them: 40 %, 60 %, 100 %.
		cfg->ts_target_bitrate[0] = kbps * 4 / 10;
		cfg->ts_target_bitrate[1] = kbps * 6 / 10;
		cfg->ts_target_bitrate[2] = kbps;
	} else {
		for (int i = 0; i < 2; i++) cfg->ts_layer_id[i] = ib_tl2_ids[i];
		cfg->ts_rate_decimator[0] = 2;
		cfg->ts_rate_decimator[1] = 1;
		cfg->ts_target_bitrate[0] = kbps * 6 / 10;
		cfg->ts_target_bitrate[1] = kbps;
	}
}

ib_enc *ib_enc_new(int vp9, int w, int h, int fps, int kbps, int layers, vpx_codec_err_t *err) {
	vpx_codec_iface_t *iface = vp9 ? vpx_codec_vp9_cx() : vpx_codec_vp8_cx();
	vpx_codec_enc_cfg_t cfg;
	*err = vpx_codec_enc_config_default(iface, &cfg, 0);
	if (*err != VPX_CODEC_OK) {
		return NULL;
	}
	cfg.g_w = w;
	cfg.g_h = h;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = fps;
	cfg.g_threads = 1;
	cfg.g_lag_in_frames = 0;
	cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	cfg.g_pass = VPX_RC_ONE_PASS;
	cfg.rc_end_usage = VPX_CBR;
	cfg.rc_target_bitrate = kbps;
	cfg.rc_min_quantizer = 2;
	cfg.rc_max_quantizer = 56;
	cfg.rc_undershoot_pct = 50;
	cfg.rc_overshoot_pct = 50;
	cfg.rc_buf_initial_sz = 500;
	cfg.rc_buf_optimal_sz = 600;
	cfg.rc_buf_sz = 1000;
	cfg.kf_mode = VPX_KF_AUTO;
	cfg.kf_min_dist = 0;
	cfg.kf_max_dist = fps * 10;
	if (layers > 1) {
		ib_enc_layers(&cfg, layers, kbps);
		// Keyframes only when asked, so that the layer pattern restarts with each of them.
		cfg.kf_mode = VPX_KF_DISABLED;
	}

	ib_enc *e = calloc(1, sizeof(ib_enc));
	if (e == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	e->layers = layers > 1 ? layers : 1;
	*err = vpx_codec_enc_init(&e->ctx, iface, &cfg, 0);
	if (*err != VPX_CODEC_OK) {
		free(e);
		return NULL;
	}
	*err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, 8);
	if (*err == VPX_CODEC_OK && !vp9) {
		*err = vpx_codec_control(&e->ctx, VP8E_SET_NOISE_SENSITIVITY, 0u);
	}
	if (*err == VPX_CODEC_OK && vp9) {
		*err = vpx_codec_control(&e->ctx, VP9E_SET_AQ_MODE, 3u);
	}
	if (*err == VPX_CODEC_OK) {
		e->img = vpx_img_alloc(NULL, VPX_IMG_FMT_I420, w, h, 16);
		if (e->img == NULL) {
			*err = VPX_CODEC_MEM_ERROR;
		}
	}
	if (*err != VPX_CODEC_OK) {
		vpx_codec_destroy(&e->ctx);
		free(e);
		return NULL;
	}
	return e;
}

vpx_codec_err_t ib_enc_frame(ib_enc *e, int64_t pts, int force_kf) {
	e->iter = NULL;
	vpx_enc_frame_flags_t flags = force_kf ? VPX_EFLAG_FORCE_KF : 0;
	e->tid = 0;
	e->sync = 0;
	e->nonref = 0;
	if (e->layers > 1) {
		if (force_kf) {
			e->phase = 0; // a keyframe is a base layer frame; the pattern restarts
		}
		int n = e->layers == 3 ? 4 : 2;
		int i = e->phase % n;
		e->tid = e->layers == 3 ? ib_tl3_ids[i] : ib_tl2_ids[i];
		if (!force_kf) {
			flags |= e->layers == 3 ? ib_tl3_flags[i] : ib_tl2_flags[i];
		}
		// The frames right after a base layer frame reference only LAST (the base layer):
		// layer sync points. The last frame of the 3-layer pattern references GOLDEN (TID 1).
		e->sync = e->tid > 0 && !(e->layers == 3 && i == 3);
		e->nonref = e->tid == e->layers - 1;
		vpx_codec_err_t err = vpx_codec_control(&e->ctx, VP8E_SET_TEMPORAL_LAYER_ID, e->tid);
		if (err != VPX_CODEC_OK) {
			return err;
		}
		e->phase = (i + 1) % n;
	}
	return vpx_codec_encode(&e->ctx, e->img, pts, 1, flags, VPX_DL_REALTIME);
}

int ib_enc_next(ib_enc *e, const uint8_t **data, size_t *n, int *key) {
	const vpx_codec_cx_pkt_t *pkt;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &e->iter)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) {
			continue;
		}
		*data = pkt->data.frame.buf;
		*n = pkt->data.frame.sz;
		*key = (pkt->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
		return 1;
	}
	return 0;
}

void ib_enc_free(ib_enc *e) {
	if (e == NULL) {
		return;
	}
	vpx_img_free(e->img);
	vpx_codec_destroy(&e->ctx);
	free(e);
}
