/* Unit tests for lib/config, lib/yamljson, lib/opts and lib/csv. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "csv.h"
#include "fsutil.h"
#include "opts.h"
#include "tap.h"
#include "yamljson.h"

static void test_yaml(void)
{
    json_t *v = NULL;
    avk_err err = {0, ""};
    const char *y = "a: 1\nb: \"1\"\nc: [x, 2.5, true]\nd:\n  e: null\n";

    is_int(avk_yaml_load_mem(y, strlen(y), "t.yaml", &v, &err), 0, "load YAML");
    ok(json_is_integer(json_object_get(v, "a")), "plain 1 is an integer");
    ok(json_is_string(json_object_get(v, "b")), "quoted 1 is a string");
    ok(json_is_real(json_array_get(json_object_get(v, "c"), 1)), "2.5 is real");
    ok(json_is_true(json_array_get(json_object_get(v, "c"), 2)), "true");
    ok(json_is_null(json_object_get(json_object_get(v, "d"), "e")), "null");
    json_decref(v);
    y = "a: &x [1]\nb: *x\n";
    is_int(avk_yaml_load_mem(y, strlen(y), "t.yaml", &v, &err), AVK_EX_DATAERR,
           "aliases refused");
    y = "a: [1,\n";
    is_int(avk_yaml_load_mem(y, strlen(y), "t.yaml", &v, &err), AVK_EX_DATAERR,
           "bad YAML refused");
    ok(strncmp(err.msg, "t.yaml:", 7) == 0, "error names the file");
}

static void test_config(void)
{
    char dir[] = "/tmp/avk-cfg-XXXXXX";
    char path[512], xdg[128];
    avk_config *c = NULL;
    avk_err err = {0, ""};

    mkdtemp(dir);
    snprintf(xdg, sizeof xdg, "%s/xdg", dir);
    snprintf(path, sizeof path, "%s/av", xdg);
    avk_mkdirs(path, 0755, &err);
    snprintf(path, sizeof path, "%s/av/config.yaml", xdg);
    avk_write_file_atomic(path, "openai:\n  base_url: http://file\n  model: m1\n",
                          44, 0644, &err);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    setenv("AV_OPENAI_MODEL", "m2", 1);
    is_int(avk_config_load(NULL, &c, &err), 0, "load config");
    is_str(avk_config_str(c, "openai.base_url", NULL), "http://file",
           "value from the file");
    is_str(avk_config_str(c, "openai.model", NULL), "m2", "env overrides file");
    is_str(avk_config_source(c, "openai.model"), "env AV_OPENAI_MODEL",
           "source recorded");
    avk_config_set(c, "openai.model", "m3", "flag");
    is_str(avk_config_str(c, "openai.model", NULL), "m3", "flag overrides env");
    avk_config_free(c);
    unsetenv("AV_OPENAI_MODEL");

    avk_write_file_atomic(path, "openai:\n  api_key: sk-secret\n", 28, 0644,
                          &err);
    is_int(avk_config_load(NULL, &c, &err), AVK_EX_CONFIG,
           "world-readable secrets refused");
    ok(strstr(err.msg, "chmod 600") != NULL, "message says how to fix it");
    ok(strstr(err.msg, "sk-secret") == NULL, "message does not leak the secret");
    chmod(path, 0600);
    is_int(avk_config_load(NULL, &c, &err), 0, "0600 secrets file accepted");
    is_str(avk_config_str(c, "openai.api_key", NULL), "sk-secret", "key read");
    ok(avk_config_is_secret_key("openai.api_key"), "api_key is secret");
    ok(!avk_config_is_secret_key("openai.model"), "model is not");
    avk_config_free(c);
    unsetenv("XDG_CONFIG_HOME");
    avk_rmtree(dir, &err);
}

static void test_opts(void)
{
    int flag = 0, count = 0;
    const char *str = NULL;
    long long num = 0;
    double d = 0;
    avk_strlist list = {NULL, 0};
    avk_args args;
    avk_err err = {0, ""};
    const avk_opt t[] = {
        {'f', "flag", AVK_OPT_FLAG, NULL, "f", &flag, NULL, NULL, 0},
        {'v', "verbose", AVK_OPT_COUNT, NULL, "v", &count, NULL, NULL, 0},
        {'s', "str", AVK_OPT_STR, "S", "s", &str, NULL, NULL, 0},
        {0, "num", AVK_OPT_INT, "N", "n", &num, NULL, NULL, 0},
        {0, "dbl", AVK_OPT_DOUBLE, "D", "d", &d, NULL, NULL, 0},
        {'t', "to", AVK_OPT_LIST, "T", "t", &list, NULL, NULL, 0},
        AVK_OPT_END};
    const avk_opt *tables[] = {t, NULL};
    char *argv[] = {"prog", "a", "-fvv", "--str=x y", "b", "--num", "42",
                    "--dbl=1.5", "-tone", "--to", "two", "--", "-c", NULL};

    is_int(avk_opts_parse(tables, 13, argv, 1, &args, NULL, &err), 0, "parse");
    is_int(flag, 1, "flag");
    is_int(count, 2, "count");
    is_str(str, "x y", "--name=value");
    is_int(num, 42, "integer");
    ok(d == 1.5, "double");
    is_int((int)list.n, 2, "repeatable");
    is_str(list.v[0], "one", "-tVALUE");
    is_int((int)args.n, 3, "operands");
    is_str(args.v[2], "-c", "-- ends options");
    avk_args_release(&args);
    avk_strlist_release(&list);
    {
        char *bad[] = {"prog", "--num", "x", NULL};
        is_int(avk_opts_parse(tables, 3, bad, 1, &args, NULL, &err),
               AVK_EX_USAGE, "bad integer");
        avk_args_release(&args);
    }
    {
        char *bad[] = {"prog", "--nope", NULL};
        is_int(avk_opts_parse(tables, 2, bad, 1, &args, NULL, &err),
               AVK_EX_USAGE, "unknown option");
        is_str(err.msg, "unknown option '--nope'", "message");
        avk_args_release(&args);
    }
}

static void test_csv(void)
{
    const char *t = "a,\"b,\"\"c\"\"\",d\r\n\"multi\nline\",,\n";
    size_t pos = 0;
    avk_csv_row r;
    avk_err err = {0, ""};

    is_int(avk_csv_next(t, strlen(t), &pos, &r, &err), 0, "row 1");
    is_int((int)r.n, 3, "3 fields");
    is_str(r.f[1], "b,\"c\"", "quotes and commas");
    avk_csv_row_release(&r);
    is_int(avk_csv_next(t, strlen(t), &pos, &r, &err), 0, "row 2");
    is_str(r.f[0], "multi\nline", "newline inside quotes");
    is_int((int)r.n, 3, "empty fields kept");
    avk_csv_row_release(&r);
    is_int(avk_csv_next(t, strlen(t), &pos, &r, &err), 1, "end");
    pos = 0;
    is_int(avk_csv_next("\"open", 5, &pos, &r, &err), AVK_EX_DATAERR,
           "unterminated quote");
}

int main(void)
{
    test_yaml();
    test_config();
    test_opts();
    test_csv();
    return tap_done();
}
