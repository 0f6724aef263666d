/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcpstate_stats.c — the statistics: `-z tcpstate,conn[,filter]` and
 * `-z tcpstate,transitions[,filter]` in tshark, and the same tables under
 * Statistics → TCP Connection State in the GUI, through Wireshark's
 * stat-tap table API.
 *
 * Connections are counted by their values as of their latest segment that
 * matched the filter. Under `tshark -2` and in the GUI the analysis has
 * already read the whole capture, so those are the final values; in a
 * single tshark pass they are the values at that segment.
 */
#include <epan/packet.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include "tcpstate_stats.h"
#include "packet-tcpstate.h"
#include "tcpstate_counted.h"

enum { COL_KEY, COL_COUNT, COL_MEANING, CONN_NUM_COLS };
enum { COL_END, COL_FROM, COL_TO, COL_TRANSITIONS, TR_NUM_COLS };

static stat_tap_table_item conn_fields[CONN_NUM_COLS] = {
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Key", "%-24s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Connections", "%d" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Meaning", "%s" },
};

static stat_tap_table_item transition_fields[TR_NUM_COLS] = {
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "Endpoint", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "From", "%s" },
    { TABLE_ITEM_STRING, TAP_ALIGN_LEFT, "To", "%s" },
    { TABLE_ITEM_UINT, TAP_ALIGN_RIGHT, "Transitions", "%d" },
};

static tap_param filter_params[] = {
    { PARAM_FILTER, "filter", "Filter", NULL, TRUE },
};

/* Zeek's own wording, scripts/base/protocols/conn/main.zeek. */
static const char *const zeek_meaning[TCPS_ZEEK_NUM] = {
    "Connection attempt seen, no reply",
    "Connection established, not terminated",
    "Normal establishment and termination",
    "Connection attempt rejected",
    "Established, close attempt by originator seen (but no reply from responder)",
    "Established, close attempt by responder seen (but no reply from originator)",
    "Established, originator aborted (sent a RST)",
    "Responder sent a RST",
    "Originator sent a SYN followed by a RST, no SYN-ACK from the responder seen",
    "Responder sent a SYN ACK followed by a RST, no SYN from the originator seen",
    "Originator sent a SYN followed by a FIN, no SYN ACK from the responder seen",
    "Responder sent a SYN ACK followed by a FIN, no SYN from the originator seen",
    "No SYN seen, just midstream traffic",
};

const char *
tcps_zeek_meaning(unsigned code)
{
    return code < TCPS_ZEEK_NUM ? zeek_meaning[code] : "";
}

#define CONN_TABLE_BY_CODE   "Connections by Zeek conn_state"
#define CONN_TABLE_BY_STATES "Connections by final client and server state"
#define TRANSITION_TABLE     "State transitions"

/* One instance of a table: the rows it prints and, for the connection
 * tables, how it counted each connection, so that a connection moves
 * between rows as its values change (the value packs what it was counted
 * under: an unchanged connection costs one lookup and no row search).
 *
 * Wireshark 4.0 keeps a table's rows in its stat_tap_table_ui, of which
 * there is one per registration. tshark calls the init callback once per
 * -z option and then gives every instance the same rows to count into and
 * print, so `-z tcpstate,conn -z tcpstate,conn,FILTER` would print one
 * merged table twice. When several instances of one table were set up
 * together, each instance that gets a packet therefore takes a private
 * copy of the ui with its own rows (stat_data_t.stat_tap_data, which the
 * printout reads); an instance that gets no packet prints the registered
 * ui's rows, which then stay zero. The GUI sets up one instance at a time
 * and counts straight into the registered ui, as before. */
typedef struct {
    stat_tap_table_ui *ui;   /* the registered ui, or an instance's copy */
    tcps_counted *counted;   /* by connection index (tcpstate_counted.h) */
    guint inits;             /* init calls since this ui's last packet */
    guint together;          /* instances set up together before it */
} tcps_stat_instance;

static GHashTable *instances;  /* stat_tap_table_ui * -> tcps_stat_instance * */

static tcps_stat_instance *
instance_of(stat_tap_table_ui *ui)
{
    tcps_stat_instance *inst;

    if (!instances)
        instances = g_hash_table_new(g_direct_hash, g_direct_equal);
    inst = (tcps_stat_instance *)g_hash_table_lookup(instances, ui);
    if (!inst) {
        inst = g_new0(tcps_stat_instance, 1);
        inst->ui = ui;
        inst->counted = tcps_counted_new();
        g_hash_table_insert(instances, ui, inst);
    }
    return inst;
}

/* An init callback's bookkeeping: one more instance set up, and that
 * instance counts from scratch. */
static tcps_stat_instance *
instance_init(stat_tap_table_ui *ui)
{
    tcps_stat_instance *inst = instance_of(ui);

    inst->inits++;
    tcps_counted_clear(inst->counted);
    return inst;
}

/* The instance a packet is counted in: see tcps_stat_instance. */
static tcps_stat_instance *
instance_for_packet(stat_data_t *stat_data)
{
    tcps_stat_instance *inst = instance_of(stat_data->stat_tap_data), *own;
    stat_tap_table_ui *copy;

    if (inst->inits) {
        inst->together = inst->inits;
        inst->inits = 0;
    }
    if (inst->together <= 1)
        return inst;
    copy = g_new(stat_tap_table_ui, 1);
    *copy = *inst->ui;
    copy->tables = NULL;
    copy->stat_tap_init_cb(copy);
    own = instance_of(copy);
    own->inits = 0;
    own->together = 1;
    stat_data->stat_tap_data = copy;
    return own;
}

/* The instance whose rows include this table (for the reset callback,
 * which is given only the table). */
static tcps_stat_instance *
instance_of_table(const stat_tap_table *table)
{
    GHashTableIter it;
    gpointer key, value;
    guint i;

    if (!instances)
        return NULL;
    g_hash_table_iter_init(&it, instances);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        const tcps_stat_instance *inst = (const tcps_stat_instance *)value;
        for (i = 0; inst->ui->tables && i < inst->ui->tables->len; i++)
            if (g_array_index(inst->ui->tables, stat_tap_table *, i) == table)
                return (tcps_stat_instance *)value;
    }
    return NULL;
}

static void
reset_counts(stat_tap_table *table)
{
    guint row, col = table->num_fields == TR_NUM_COLS ? COL_TRANSITIONS : COL_COUNT;

    for (row = 0; row < table->num_elements; row++) {
        stat_tap_table_item_type *item = stat_tap_get_field_data(table, row, col);
        item->value.uint_value = 0;
        stat_tap_set_field_data(table, row, col, item);
    }
}

static void
conn_reset(stat_tap_table *table)
{
    tcps_stat_instance *inst = instance_of_table(table);

    reset_counts(table);
    if (inst)
        tcps_counted_clear(inst->counted);
}

static void
add_to_count(stat_tap_table *table, guint row, guint col, int delta)
{
    stat_tap_table_item_type *item = stat_tap_get_field_data(table, row, col);

    item->value.uint_value = (guint)((int)item->value.uint_value + delta);
    stat_tap_set_field_data(table, row, col, item);
}

static void
conn_init(stat_tap_table_ui *ui)
{
    stat_tap_table *by_code, *by_states;
    stat_tap_table_item_type items[CONN_NUM_COLS];
    guint code;

    instance_init(ui);
    by_code = stat_tap_find_table(ui, CONN_TABLE_BY_CODE);
    if (by_code) {
        conn_reset(by_code);
        by_states = stat_tap_find_table(ui, CONN_TABLE_BY_STATES);
        if (by_states)
            conn_reset(by_states);
        return;
    }
    by_code = stat_tap_init_table(CONN_TABLE_BY_CODE, CONN_NUM_COLS, 0, NULL);
    stat_tap_add_table(ui, by_code);
    memset(items, 0, sizeof items);
    for (code = 0; code < TCPS_ZEEK_NUM; code++) {
        items[COL_KEY].type = TABLE_ITEM_STRING;
        items[COL_KEY].value.string_value = tcps_zeek_state_name((tcps_zeek_state)code);
        items[COL_COUNT].type = TABLE_ITEM_UINT;
        items[COL_COUNT].value.uint_value = 0;
        items[COL_MEANING].type = TABLE_ITEM_STRING;
        items[COL_MEANING].value.string_value = zeek_meaning[code];
        stat_tap_init_table_row(by_code, code, CONN_NUM_COLS, items);
    }
    by_states = stat_tap_init_table(CONN_TABLE_BY_STATES, CONN_NUM_COLS, 0, NULL);
    stat_tap_add_table(ui, by_states);
}

/* The row of "C:<client> S:<server>", added on first use. */
static guint
states_row(stat_tap_table *table, guint8 client, guint8 server)
{
    char *key = wmem_strdup_printf(wmem_epan_scope(), "C:%s S:%s",
                                         tcps_state_name((tcps_state)client),
                                         tcps_state_name((tcps_state)server));
    stat_tap_table_item_type items[CONN_NUM_COLS];
    guint row;

    for (row = 0; row < table->num_elements; row++) {
        stat_tap_table_item_type *item = stat_tap_get_field_data(table, row, COL_KEY);
        if (strcmp(item->value.string_value, key) == 0) {
            wmem_free(wmem_epan_scope(), key);
            return row;
        }
    }
    memset(items, 0, sizeof items);
    items[COL_KEY].type = TABLE_ITEM_STRING;
    items[COL_KEY].value.string_value = key;   /* kept for the table's life */
    items[COL_COUNT].type = TABLE_ITEM_UINT;
    items[COL_MEANING].type = TABLE_ITEM_STRING;
    items[COL_MEANING].value.string_value = "";
    stat_tap_init_table_row(table, row, CONN_NUM_COLS, items);
    return row;
}

/* A connection moves between the rows of an instance's tables: the code is
 * its row; the states' row is found (or added) by name. */
static void
conn_move(void *ctx, const tcps_conn_counted *was, const tcps_conn_counted *now)
{
    tcps_stat_instance *inst = (tcps_stat_instance *)ctx;
    stat_tap_table *by_code = g_array_index(inst->ui->tables, stat_tap_table *, 0);
    stat_tap_table *by_states = g_array_index(inst->ui->tables, stat_tap_table *, 1);

    if (was) {
        add_to_count(by_code, was->code, COL_COUNT, -1);
        add_to_count(by_states, states_row(by_states, was->client, was->server), COL_COUNT, -1);
    }
    add_to_count(by_code, now->code, COL_COUNT, 1);
    add_to_count(by_states, states_row(by_states, now->client, now->server), COL_COUNT, 1);
}

static tap_packet_status
conn_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_, const void *data,
            tap_flags_t flags _U_)
{
    stat_data_t *stat_data = (stat_data_t *)tapdata;
    const tcps_frame *fr = (const tcps_frame *)data;
    tcps_stat_instance *inst;

    if (!tcpstate_tracker())
        return TAP_PACKET_DONT_REDRAW;
    inst = instance_for_packet(stat_data);
    return tcps_counted_conn(inst->counted, tcpstate_tracker(), fr->conn, conn_move, inst)
               ? TAP_PACKET_REDRAW : TAP_PACKET_DONT_REDRAW;
}

static void
transitions_init(stat_tap_table_ui *ui)
{
    stat_tap_table *table = stat_tap_find_table(ui, TRANSITION_TABLE);

    instance_init(ui);
    if (table) {
        reset_counts(table);
        return;
    }
    table = stat_tap_init_table(TRANSITION_TABLE, TR_NUM_COLS, 0, NULL);
    stat_tap_add_table(ui, table);
}

static void
count_transition(stat_tap_table *table, const char *end, guint8 from, guint8 to)
{
    const char *from_name = tcps_state_name((tcps_state)from);
    const char *to_name = tcps_state_name((tcps_state)to);
    stat_tap_table_item_type items[TR_NUM_COLS];
    guint row;

    for (row = 0; row < table->num_elements; row++) {
        if (strcmp(stat_tap_get_field_data(table, row, COL_END)->value.string_value, end) == 0 &&
            strcmp(stat_tap_get_field_data(table, row, COL_FROM)->value.string_value, from_name) == 0 &&
            strcmp(stat_tap_get_field_data(table, row, COL_TO)->value.string_value, to_name) == 0) {
            add_to_count(table, row, COL_TRANSITIONS, 1);
            return;
        }
    }
    memset(items, 0, sizeof items);
    items[COL_END].type = TABLE_ITEM_STRING;
    items[COL_END].value.string_value = end;
    items[COL_FROM].type = TABLE_ITEM_STRING;
    items[COL_FROM].value.string_value = from_name;
    items[COL_TO].type = TABLE_ITEM_STRING;
    items[COL_TO].value.string_value = to_name;
    items[COL_TRANSITIONS].type = TABLE_ITEM_UINT;
    items[COL_TRANSITIONS].value.uint_value = 1;
    stat_tap_init_table_row(table, row, TR_NUM_COLS, items);
}

static tap_packet_status
transitions_packet(void *tapdata, packet_info *pinfo _U_, epan_dissect_t *edt _U_,
                   const void *data, tap_flags_t flags _U_)
{
    stat_data_t *stat_data = (stat_data_t *)tapdata;
    const tcps_frame *fr = (const tcps_frame *)data;
    stat_tap_table *table = g_array_index(instance_for_packet(stat_data)->ui->tables,
                                          stat_tap_table *, 0);
    tcps_result r;
    tap_packet_status status = TAP_PACKET_DONT_REDRAW;

    tcps_record_unpack(&fr->core, &r);
    if (r.prev[0] != r.state[0]) {
        count_transition(table, "client", r.prev[0], r.state[0]);
        status = TAP_PACKET_REDRAW;
    }
    if (r.prev[1] != r.state[1]) {
        count_transition(table, "server", r.prev[1], r.state[1]);
        status = TAP_PACKET_REDRAW;
    }
    return status;
}

void
tcps_stats_register(void)
{
    static stat_tap_table_ui conn_ui = {
        REGISTER_STAT_GROUP_GENERIC,
        "TCP Connection State/Connections",
        "tcpstate",
        "tcpstate,conn",
        conn_init,
        conn_packet,
        conn_reset,
        NULL,
        NULL,
        G_N_ELEMENTS(conn_fields), conn_fields,
        G_N_ELEMENTS(filter_params), filter_params,
        NULL,
        0
    };
    static stat_tap_table_ui transitions_ui = {
        REGISTER_STAT_GROUP_GENERIC,
        "TCP Connection State/Transitions",
        "tcpstate",
        "tcpstate,transitions",
        transitions_init,
        transitions_packet,
        reset_counts,
        NULL,
        NULL,
        G_N_ELEMENTS(transition_fields), transition_fields,
        G_N_ELEMENTS(filter_params), filter_params,
        NULL,
        0
    };

    register_stat_tap_table_ui(&conn_ui);
    register_stat_tap_table_ui(&transitions_ui);
}
