/* Unit tests: streams and JSON-RPC. */
#include <config.h>
#include "test-vplug.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "poll-loop.h"
#include "stream.h"
#include "util.h"

/* Opens a listener on punix:'path', connects a client to it and accepts,
 * so the test holds both ends of one unix connection. */
static void
open_pair(const char *path, struct pstream **psp, struct stream **clientp,
          struct stream **serverp)
{
    char *pname = xasprintf("punix:%s", path);
    char *name = xasprintf("unix:%s", path);

    CHECK(!pstream_open(pname, 0700, psp));
    CHECK(!stream_open(name, clientp));
    for (int i = 0; i < 1000; i++) {
        int error = pstream_accept(*psp, serverp);
        if (error != EAGAIN) {
            CHECK(!error);
            break;
        }
        pstream_wait(*psp);
        poll_timer_wait(10);
        poll_block();
    }
    CHECK(*serverp);
    CHECK(!stream_connect(*clientp));
    free(pname);
    free(name);
}

static void
send_all(struct stream *s, const char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = stream_send(s, data, size);
        if (n == -EAGAIN) {
            stream_send_wait(s);
            poll_block();
            continue;
        }
        CHECK(n > 0);
        data += n;
        size -= n;
    }
}

/* Receives every message 'rpc' has complete now, appending their JSON forms
 * to 'out'. */
static void
drain(struct jsonrpc *rpc, json_t *out)
{
    for (;;) {
        struct jsonrpc_msg *msg;
        int error = jsonrpc_recv(rpc, &msg);
        if (error == EAGAIN) {
            return;
        }
        if (error) {
            fprintf(stderr, "unexpected error: %s\n",
                    jsonrpc_get_error(rpc));
            exit(1);
        }
        json_array_append_new(out, jsonrpc_msg_to_json(msg));
        jsonrpc_msg_destroy(msg);
    }
}

/* The messages of the framing test: strings holding braces, brackets,
 * escaped quotes and backslashes, nesting, and whitespace between. */
static const char framing_input[] =
    "{\"method\":\"echo\",\"params\":[\"}{][\"],\"id\":1}"
    "{\"id\":\"x\\\"}\",\"result\":{\"a\":[[],{}],\"b\":\"\\\\\"},"
    "\"error\":null}\n"
    "  {\"method\":\"update2\",\"params\":[null,{\"T\":{\"u\":{\"insert\":"
    "{\"name\":\"br\\u00e9\\\\\\\"[\"}}}}],\"id\":null}\r\n"
    "{\"error\":{\"error\":\"e\",\"details\":\"{\"},\"id\":[1,2]}"
    "[\"x\"]";

/* framing DIR: feeds 'framing_input' split at every byte offset (and one
 * byte at a time, and all at once) and checks that every message comes out
 * whole and in order. */
static int
test_framing(int argc, char *argv[])
{
    char *path = xasprintf("%s/framing.sock", argv[1]);
    struct pstream *ps;
    struct stream *client, *server;

    open_pair(path, &ps, &client, &server);
    struct jsonrpc *rpc = jsonrpc_open(server);

    /* The expected messages, parsed one value at a time; the last one (an
     * array) is a framing success but a bad message, so it is sent only in
     * the final step. */
    size_t len = strlen(framing_input);
    size_t last = strrchr(framing_input, '[') - framing_input;
    json_t *expected = json_array();
    for (size_t ofs = 0; ofs < last; ) {
        json_error_t jerror;
        json_t *value = json_loadb(framing_input + ofs, last - ofs,
                                   JSON_DISABLE_EOF_CHECK, &jerror);
        CHECK(value);
        struct jsonrpc_msg *msg;
        char *error = jsonrpc_msg_from_json(value, &msg);
        CHECK(!error);
        json_array_append_new(expected, jsonrpc_msg_to_json(msg));
        jsonrpc_msg_destroy(msg);
        json_decref(value);
        ofs += jerror.position;
        while (ofs < last && strchr(" \r\n", framing_input[ofs])) {
            ofs++;
        }
    }

    size_t n_splits = 0;
    for (size_t split = 0; split <= last; split++) {
        json_t *got = json_array();
        send_all(client, framing_input, split);
        drain(rpc, got);
        send_all(client, framing_input + split, last - split);
        drain(rpc, got);
        if (!json_equal(got, expected)) {
            char *s = json_dumps(got, JSON_COMPACT);
            fprintf(stderr, "split at %zu: got %s\n", split, s);
            free(s);
            return 1;
        }
        json_decref(got);
        n_splits++;
    }

    json_t *got = json_array();
    for (size_t i = 0; i < last; i++) {
        send_all(client, framing_input + i, 1);
        drain(rpc, got);
    }
    CHECK(json_equal(got, expected));
    json_decref(got);

    /* All at once, bad last message included. */
    got = json_array();
    send_all(client, framing_input, len);
    struct jsonrpc_msg *msg;
    int error;
    while (!(error = jsonrpc_recv(rpc, &msg))) {
        json_array_append_new(got, jsonrpc_msg_to_json(msg));
        jsonrpc_msg_destroy(msg);
    }
    CHECK(json_equal(got, expected));
    json_decref(got);

    printf("%zu messages recovered at each of %zu split offsets\n",
           json_array_size(expected), n_splits);
    printf("status %s: %s\n", ovs_strerror(error), jsonrpc_get_error(rpc));

    json_decref(expected);
    jsonrpc_close(rpc);
    stream_close(client);
    pstream_close(ps);
    free(path);
    return 0;
}
VPLUG_TEST("jsonrpc-framing", "DIR", test_framing)

/* feed DIR MAX_SIZE BYTES: a peer sends BYTES and closes; prints each
 * message received by a "unix:DIR/feed.sock" client limited to MAX_SIZE
 * bytes, then its error. */
static int
test_feed(int argc, char *argv[])
{
    char *path = xasprintf("%s/feed.sock", argv[1]);
    struct pstream *ps;
    struct stream *client, *server;
    int max_size;

    CHECK(str_to_int(argv[2], 10, &max_size));
    open_pair(path, &ps, &client, &server);
    struct jsonrpc *rpc = jsonrpc_open(client);
    jsonrpc_set_max_size(rpc, max_size);

    send_all(server, argv[3], strlen(argv[3]));
    stream_close(server);

    for (;;) {
        struct jsonrpc_msg *msg;
        int error = jsonrpc_recv_block(rpc, &msg, 10000);
        if (error) {
            printf("%s: %s\n", error == EOF ? "EOF" : ovs_strerror(error),
                   jsonrpc_get_error(rpc));
            break;
        }
        json_t *json = jsonrpc_msg_to_json(msg);
        char *s = json_dumps(json, JSON_COMPACT | JSON_SORT_KEYS);
        printf("%s\n", s);
        free(s);
        json_decref(json);
        jsonrpc_msg_destroy(msg);
    }
    jsonrpc_close(rpc);
    pstream_close(ps);
    free(path);
    return 0;
}
VPLUG_TEST("jsonrpc-feed", "DIR MAX_SIZE BYTES", test_feed)

/* parse-msg JSON: parses JSON as a JSON-RPC message and prints its type and
 * the JSON it sends, or the error. */
static int
test_parse_msg(int argc, char *argv[])
{
    static const char *const types[] = {
        "request", "notify", "reply", "error",
    };
    json_error_t jerror;
    json_t *json = json_loads(argv[1], JSON_DECODE_ANY, &jerror);
    if (!json) {
        printf("bad JSON: %s\n", jerror.text);
        return 1;
    }

    struct jsonrpc_msg *msg;
    char *error = jsonrpc_msg_from_json(json, &msg);
    json_decref(json);
    if (error) {
        printf("error: %s\n", error);
        free(error);
        return 1;
    }
    json = jsonrpc_msg_to_json(msg);
    char *s = json_dumps(json, JSON_COMPACT);
    printf("%s: %s\n", types[msg->type], s);
    free(s);
    json_decref(json);
    jsonrpc_msg_destroy(msg);
    return 0;
}
VPLUG_TEST("jsonrpc-parse-msg", "JSON", test_parse_msg)

/* transact REMOTE METHOD PARAMS: sends one request and prints the reply. */
static int
test_transact(int argc, char *argv[])
{
    struct stream *stream;
    int error = stream_open(argv[1], &stream);
    if (error) {
        printf("cannot connect to %s: %s\n", argv[1], ovs_strerror(error));
        return 1;
    }

    json_error_t jerror;
    json_t *params = json_loads(argv[3], 0, &jerror);
    CHECK(params);
    struct jsonrpc *rpc = jsonrpc_open(stream);
    struct jsonrpc_msg *reply;
    error = jsonrpc_transact_block(rpc, jsonrpc_create_request(argv[2],
                                                               params),
                                   &reply, 10000);
    if (error) {
        printf("error: %s\n", jsonrpc_get_error(rpc) ? jsonrpc_get_error(rpc)
               : ovs_strerror(error));
        jsonrpc_close(rpc);
        return 1;
    }
    json_t *json = reply->type == JSONRPC_REPLY ? reply->result : reply->error;
    char *s = json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
    printf("%s: %s\n", reply->type == JSONRPC_REPLY ? "result" : "error", s);
    free(s);
    jsonrpc_msg_destroy(reply);
    jsonrpc_close(rpc);
    return 0;
}
VPLUG_TEST("jsonrpc-transact", "REMOTE METHOD PARAMS", test_transact)

/* The echo test's server: accepts one connection on 'ps', sends an "echo"
 * request, checks that the reply carries the same id and params, then
 * answers the client's "ping" request with the verdict.  Returns the exit
 * status. */
static int
echo_server(struct pstream *ps)
{
    struct stream *stream = NULL;
    long long int deadline = time_msec() + 10000;

    while (pstream_accept(ps, &stream) == EAGAIN) {
        if (time_msec() > deadline) {
            return 2;
        }
        pstream_wait(ps);
        poll_timer_wait_until(deadline);
        poll_block();
    }
    CHECK(stream);

    struct jsonrpc *rpc = jsonrpc_open(stream);
    struct jsonrpc_msg *echo = jsonrpc_create_request(
        "echo", json_pack("[s, i]", "are you there", 42));
    json_t *echo_id = json_incref(echo->id);
    json_t *echo_params = json_incref(echo->params);
    CHECK(!jsonrpc_send_block(rpc, echo, 10000));

    const char *verdict = NULL;
    struct jsonrpc_msg *ping = NULL;
    while (!ping || !verdict) {
        struct jsonrpc_msg *msg;
        if (jsonrpc_recv_block(rpc, &msg, 10000)) {
            return 3;
        }
        if (msg->type == JSONRPC_REPLY) {
            verdict = (!json_equal(msg->id, echo_id) ? "echo reply has wrong id"
                       : !json_equal(msg->result, echo_params)
                       ? "echo reply has wrong result"
                       : "echo answered");
            jsonrpc_msg_destroy(msg);
        } else if (msg->type == JSONRPC_REQUEST) {
            ping = msg;
        } else {
            jsonrpc_msg_destroy(msg);
        }
    }
    CHECK(!jsonrpc_send_block(rpc, jsonrpc_create_reply(
                                  json_string(verdict), ping->id), 10000));
    jsonrpc_msg_destroy(ping);
    json_decref(echo_id);
    json_decref(echo_params);

    /* Wait for the client to hang up. */
    struct jsonrpc_msg *msg;
    while (!jsonrpc_recv_block(rpc, &msg, 10000)) {
        jsonrpc_msg_destroy(msg);
    }
    jsonrpc_close(rpc);
    return 0;
}

/* echo DIR: a test server sends an "echo" request while the client waits in
 * jsonrpc_transact_block(), which must answer it. */
static int
test_echo(int argc, char *argv[])
{
    char *pname = xasprintf("punix:%s/echo.sock", argv[1]);
    struct pstream *ps;

    CHECK(!pstream_open(pname, 0700, &ps));
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (!pid) {
        int status = echo_server(ps);
        pstream_close(ps);
        free(pname);
        exit(status);
    }

    struct stream *stream;
    char *name = xasprintf("unix:%s/echo.sock", argv[1]);
    CHECK(!stream_open(name, &stream));
    struct jsonrpc *rpc = jsonrpc_open(stream);
    struct jsonrpc_msg *reply;
    int error = jsonrpc_transact_block(
        rpc, jsonrpc_create_request("ping", json_array()), &reply, 10000);
    if (error) {
        printf("error: %s\n", ovs_strerror(error));
    } else {
        printf("server says: %s\n", json_string_value(reply->result));
        jsonrpc_msg_destroy(reply);
    }
    jsonrpc_close(rpc);

    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("server exit status %d\n", WEXITSTATUS(status));
    pstream_close(ps);
    free(pname);
    free(name);
    return 0;
}
VPLUG_TEST("jsonrpc-echo", "DIR", test_echo)

/* stream-names NAME...: prints what stream_verify_name() says of each. */
static int
test_stream_names(int argc, char *argv[])
{
    for (int i = 1; i < argc; i++) {
        char *error = stream_verify_name(argv[i]);
        printf("%s\n", error ? error : "ok");
        free(error);
    }
    return 0;
}
VPLUG_TEST("stream-names", "NAME...", test_stream_names)
