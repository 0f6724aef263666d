/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_view.h — what the text views (the ladder, the connection list)
 * share: their tshark argument `-z NAME[,FILTER]`, and their window under
 * Tools → TCP Connection State over the packets the display filter shows.
 */
#ifndef TCPSTATE_VIEW_H
#define TCPSTATE_VIEW_H

#include <epan/funnel.h>

/* Start a view over the frames that pass filter (NULL: every frame): the
 * view, or NULL with the error in *err (g_free it) when the filter does
 * not compile. */
typedef void *(*tcps_view_start_fn)(const char *filter, char **err);

/* -z NAME[,FILTER]: start the view. FALSE, after report_failure(), when
 * the filter does not compile, or (strict) when opt_arg is neither NAME
 * nor NAME,FILTER. An empty FILTER is no filter. */
gboolean tcps_view_cli_start(const char *opt_arg, const char *name, gboolean strict,
                             tcps_view_start_fn start);

/* The Tools menu: start the view over the displayed packets and open its
 * text window, titled title; the window, with the view in *view. NULL when
 * there is no GUI, or when the display filter does not compile: then the
 * error is shown in a window of its own. */
funnel_text_window_t *tcps_view_window(const char *title, tcps_view_start_fn start, void **view);

/* A button under the view's window, if this GUI has buttons. */
void tcps_view_add_button(funnel_text_window_t *tw, funnel_bt_cb_t func, void *data,
                          const char *label);

#endif /* TCPSTATE_VIEW_H */
