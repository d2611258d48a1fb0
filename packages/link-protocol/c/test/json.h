/* A tiny JSON reader for the vector tests only (it allocates; the core never does). */
#ifndef LP_TEST_JSON_H
#define LP_TEST_JSON_H

#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } json_kind_t;

typedef struct json json_t;
struct json {
  json_kind_t kind;
  double number; /* J_NUMBER, J_BOOL (0/1) */
  char *string;  /* J_STRING (NUL-terminated, escapes decoded to UTF-8) */
  size_t count;  /* J_ARRAY / J_OBJECT */
  char **keys;   /* J_OBJECT */
  json_t **items;
};

/* Parses text; NULL with *error set on a syntax error. */
json_t *json_parse(const char *text, const char **error);
void json_free(json_t *j);

/* Member of an object, NULL when absent (or j is not an object). */
const json_t *json_get(const json_t *j, const char *key);
/* Helpers that return a default when absent or of another kind. */
double json_num(const json_t *j, const char *key, double fallback);
const char *json_str(const json_t *j, const char *key, const char *fallback);
int json_bool(const json_t *j, const char *key, int fallback);

#endif
