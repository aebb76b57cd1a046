/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.c - messages and names for rp_err. Freestanding: no libc calls, so
 * the boot core can link it.
 */
#include "rampart/err.h"

const char *rp_strerror(rp_err err)
{
	switch (err) {
#define RP_ERR_MSG(name, value, msg) \
	case name:                   \
		return msg;
		RP_ERR_LIST(RP_ERR_MSG)
#undef RP_ERR_MSG
	}
	return "unknown error";
}

const char *rp_errname(rp_err err)
{
	switch (err) {
#define RP_ERR_NAME(name, value, msg) \
	case name:                    \
		return #name;
		RP_ERR_LIST(RP_ERR_NAME)
#undef RP_ERR_NAME
	}
	return "RP_E_?";
}
