/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ws_compat.h — the few Wireshark API differences between 4.0 and 4.6,
 * in one place. Each macro names the release that changed the API.
 * The build must be warning-free on 4.0, 4.4 and 4.6 with gcc and clang
 * (packaging/compat-test.sh builds with -DTCPSTATE_WERROR=ON), so an API a
 * release deprecates is reached through here, never called directly.
 */
#ifndef TCPSTATE_WS_COMPAT_H
#define TCPSTATE_WS_COMPAT_H

#include <ws_version.h>

#define TCPS_WS_AT_LEAST(maj, min) \
    (WIRESHARK_VERSION_MAJOR > (maj) || \
     (WIRESHARK_VERSION_MAJOR == (maj) && WIRESHARK_VERSION_MINOR >= (min)))

/* 4.2: field_info.value became an fvalue_t pointer (was embedded). */
#if TCPS_WS_AT_LEAST(4, 2)
#define TCPS_FI_FVALUE(fi) ((fi)->value)
#else
#define TCPS_FI_FVALUE(fi) (&(fi)->value)
#endif

/* 4.4: prefs_register_bool_preference() takes a bool * (was gboolean *). */
#if TCPS_WS_AT_LEAST(4, 4)
#include <stdbool.h>
typedef bool tcps_pref_bool;
#else
#include <glib.h>
typedef gboolean tcps_pref_bool;
#endif

/* 4.4: the glib-typed tvb accessors are deprecated (tvb_get_guint8 ->
 * tvb_get_uint8); 4.0 has only the old names. */
#if TCPS_WS_AT_LEAST(4, 4)
#define tcps_tvb_get_uint8 tvb_get_uint8
#else
#define tcps_tvb_get_uint8 tvb_get_guint8
#endif

/* 4.6: a stat_tap_ui init callback (tshark -z) returns bool, false when it
 * refuses its argument; it returned void before. Declare one as
 *   static TCPS_STAT_INIT_RET f(const char *opt_arg, void *userdata)
 * and leave it with TCPS_STAT_INIT_RETURN(ok). */
#include <stdbool.h>
#if TCPS_WS_AT_LEAST(4, 6)
#define TCPS_STAT_INIT_RET bool
#define TCPS_STAT_INIT_RETURN(ok) return (ok)
#else
#define TCPS_STAT_INIT_RET void
#define TCPS_STAT_INIT_RETURN(ok) do { (void)(ok); return; } while (0)
#endif

/* 4.4: a funnel window's button callback (funnel_bt_cb_t) returns bool;
 * it returned gboolean before. Declare one as
 *   static TCPS_FUNNEL_BT_RET f(funnel_text_window_t *tw, void *data) */
#if TCPS_WS_AT_LEAST(4, 4)
#define TCPS_FUNNEL_BT_RET bool
#else
#define TCPS_FUNNEL_BT_RET gboolean
#endif

/* 4.6: value_string.h moved from epan/ to wsutil/. proto.h pulls in
 * whichever this release has, so we include nothing directly. */

/* 4.2: plugins may export plugin_describe(); wsutil/plugins.h declares the
 * WS_PLUGIN_DESC_* bits. 4.0 does not install that header. */
#if TCPS_WS_AT_LEAST(4, 2) && defined(__has_include)
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
#define TCPS_HAVE_PLUGIN_DESCRIBE 1
#endif
#endif

#endif /* TCPSTATE_WS_COMPAT_H */
