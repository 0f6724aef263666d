/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_view.c — the tshark argument and the Tools window of the text
 * views (tcpstate_view.h). */
#include <string.h>

#include <epan/packet.h>
#include <epan/funnel.h>
#include <wsutil/report_message.h>

#include "tcpstate_view.h"

gboolean
tcps_view_cli_start(const char *opt_arg, const char *name, gboolean strict,
                    tcps_view_start_fn start)
{
    size_t n = strlen(name);
    const char *filter = NULL;
    char *err = NULL;

    if (strncmp(opt_arg, name, n) == 0 && opt_arg[n] == ',')
        filter = opt_arg + n + 1;
    else if (strict && strcmp(opt_arg, name) != 0) {
        report_failure("%s: want -z %s[,FILTER], not \"%s\"", name, name, opt_arg);
        return FALSE;
    }
    if (filter && !*filter)
        filter = NULL;
    if (!start(filter, &err)) {
        report_failure("Couldn't register %s tap: %s", name, err);
        g_free(err);
        return FALSE;
    }
    return TRUE;
}

funnel_text_window_t *
tcps_view_window(const char *title, tcps_view_start_fn start, void **view)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    const char *filter;
    char *err = NULL;
    funnel_text_window_t *tw;

    *view = NULL;
    if (!ops)
        return NULL;
    filter = ops->get_filter(ops->ops_id);
    if (filter && !*filter)
        filter = NULL;
    *view = start(filter, &err);
    tw = ops->new_text_window(ops->ops_id, title);
    if (!*view) {
        ops->set_text(tw, err);
        g_free(err);
        return NULL;
    }
    return tw;
}

void
tcps_view_add_button(funnel_text_window_t *tw, funnel_bt_cb_t func, void *data, const char *label)
{
    const funnel_ops_t *ops = funnel_get_funnel_ops();
    funnel_bt_t *bt;

    if (!ops || !ops->add_button)
        return;
    bt = g_new0(funnel_bt_t, 1);
    bt->tw = tw;
    bt->func = func;
    bt->data = data;
    bt->free_fcn = g_free;   /* Wireshark frees it with the window (newer
                                releases; 4.0 keeps it: a few bytes) */
    ops->add_button(tw, bt, label);
}
