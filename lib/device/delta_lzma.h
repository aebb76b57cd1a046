/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delta_lzma.h - the one LZMA2 set-up of the delta patch body
 * (docs/delta.md, "Body"), shared by the apply (delta_apply.c) and the
 * create (lib/delta/delta_create.c): the raw filter chain with the
 * header's dictionary, and liblzma's answers as rp_err.
 */
#ifndef RAMPART_DELTA_LZMA_H
#define RAMPART_DELTA_LZMA_H

#include <lzma.h>

#include "rampart/err.h"

/* f[0..1]: LZMA2 with opt (whose dict_size is set to 1 << dict_log2),
 * then the end of the chain. */
static inline void delta_lzma_filters(lzma_filter f[2], lzma_options_lzma *opt,
                                      unsigned dict_log2)
{
	opt->dict_size = 1u << dict_log2;
	f[0].id = LZMA_FILTER_LZMA2;
	f[0].options = opt;
	f[1].id = LZMA_VLI_UNKNOWN;
	f[1].options = NULL;
}

/* An encoder's or decoder's set-up result. */
static inline rp_err delta_lzma_init_err(lzma_ret r)
{
	return r == LZMA_OK          ? RP_OK
	       : r == LZMA_MEM_ERROR ? RP_E_NOMEM
	                             : RP_E_INTERNAL;
}

#endif
