#include "json.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p;
  const char *error;
} parser_t;

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

static void skip_ws(parser_t *ps) {
  while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++;
}

static json_t *node(json_kind_t kind) {
  json_t *j = (json_t *)xmalloc(sizeof *j);
  memset(j, 0, sizeof *j);
  j->kind = kind;
  return j;
}

static json_t *parse_value(parser_t *ps);

static void put_utf8(char *out, size_t *n, unsigned cp) {
  if (cp < 0x80u) {
    out[(*n)++] = (char)cp;
  } else if (cp < 0x800u) {
    out[(*n)++] = (char)(0xC0u | (cp >> 6));
    out[(*n)++] = (char)(0x80u | (cp & 0x3Fu));
  } else if (cp < 0x10000u) {
    out[(*n)++] = (char)(0xE0u | (cp >> 12));
    out[(*n)++] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
    out[(*n)++] = (char)(0x80u | (cp & 0x3Fu));
  } else {
    out[(*n)++] = (char)(0xF0u | (cp >> 18));
    out[(*n)++] = (char)(0x80u | ((cp >> 12) & 0x3Fu));
    out[(*n)++] = (char)(0x80u | ((cp >> 6) & 0x3Fu));
    out[(*n)++] = (char)(0x80u | (cp & 0x3Fu));
  }
}

static unsigned hex4(parser_t *ps) {
  unsigned v = 0, i;
  for (i = 0; i < 4; i++) {
    char c = *ps->p++;
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else ps->error = "bad \\u escape";
  }
  return v;
}

static char *parse_string(parser_t *ps) {
  const char *start = ps->p;
  size_t cap, n = 0;
  char *out;
  while (*start && *start != '"') start += (*start == '\\' && start[1]) ? 2 : 1;
  cap = (size_t)(start - ps->p) + 1u;
  out = (char *)xmalloc(cap * 2u); /* \u escapes never grow beyond this */
  while (*ps->p && *ps->p != '"') {
    char c = *ps->p++;
    if (c != '\\') {
      out[n++] = c;
      continue;
    }
    c = *ps->p++;
    switch (c) {
    case 'n': out[n++] = '\n'; break;
    case 't': out[n++] = '\t'; break;
    case 'r': out[n++] = '\r'; break;
    case 'b': out[n++] = '\b'; break;
    case 'f': out[n++] = '\f'; break;
    case 'u': {
      unsigned cp = hex4(ps);
      if (cp >= 0xD800u && cp < 0xDC00u && ps->p[0] == '\\' && ps->p[1] == 'u') {
        unsigned lo;
        ps->p += 2;
        lo = hex4(ps);
        cp = 0x10000u + ((cp - 0xD800u) << 10) + (lo - 0xDC00u);
      }
      put_utf8(out, &n, cp);
      break;
    }
    default: out[n++] = c; break;
    }
  }
  if (*ps->p != '"') ps->error = "unterminated string";
  else ps->p++;
  out[n] = '\0';
  return out;
}

static json_t *parse_container(parser_t *ps, int object) {
  json_t *j = node(object ? J_OBJECT : J_ARRAY);
  size_t cap = 8;
  j->items = (json_t **)xmalloc(cap * sizeof *j->items);
  if (object) j->keys = (char **)xmalloc(cap * sizeof *j->keys);
  skip_ws(ps);
  if (*ps->p == (object ? '}' : ']')) {
    ps->p++;
    return j;
  }
  for (;;) {
    char *key = NULL;
    json_t *value;
    skip_ws(ps);
    if (object) {
      if (*ps->p != '"') {
        ps->error = "expected a key";
        return j;
      }
      ps->p++;
      key = parse_string(ps);
      skip_ws(ps);
      if (*ps->p != ':') {
        ps->error = "expected ':'";
        free(key);
        return j;
      }
      ps->p++;
    }
    value = parse_value(ps);
    if (j->count == cap) {
      cap *= 2;
      j->items = (json_t **)realloc(j->items, cap * sizeof *j->items);
      if (object) j->keys = (char **)realloc(j->keys, cap * sizeof *j->keys);
      if (!j->items || (object && !j->keys)) abort();
    }
    if (object) j->keys[j->count] = key;
    j->items[j->count++] = value;
    if (ps->error) return j;
    skip_ws(ps);
    if (*ps->p == ',') {
      ps->p++;
      continue;
    }
    if (*ps->p == (object ? '}' : ']')) {
      ps->p++;
      return j;
    }
    ps->error = "expected ',' or a closing bracket";
    return j;
  }
}

static json_t *parse_value(parser_t *ps) {
  json_t *j;
  skip_ws(ps);
  switch (*ps->p) {
  case '{': ps->p++; return parse_container(ps, 1);
  case '[': ps->p++; return parse_container(ps, 0);
  case '"':
    ps->p++;
    j = node(J_STRING);
    j->string = parse_string(ps);
    return j;
  case 't':
    if (strncmp(ps->p, "true", 4) == 0) {
      ps->p += 4;
      j = node(J_BOOL);
      j->number = 1;
      return j;
    }
    break;
  case 'f':
    if (strncmp(ps->p, "false", 5) == 0) {
      ps->p += 5;
      return node(J_BOOL);
    }
    break;
  case 'n':
    if (strncmp(ps->p, "null", 4) == 0) {
      ps->p += 4;
      return node(J_NULL);
    }
    break;
  default: {
    char *end;
    double v = strtod(ps->p, &end);
    if (end != ps->p) {
      ps->p = end;
      j = node(J_NUMBER);
      j->number = v;
      return j;
    }
  }
  }
  ps->error = "unexpected character";
  return node(J_NULL);
}

json_t *json_parse(const char *text, const char **error) {
  parser_t ps;
  json_t *j;
  ps.p = text;
  ps.error = NULL;
  j = parse_value(&ps);
  skip_ws(&ps);
  if (!ps.error && *ps.p) ps.error = "trailing characters";
  if (ps.error) {
    if (error) *error = ps.error;
    json_free(j);
    return NULL;
  }
  return j;
}

void json_free(json_t *j) {
  size_t i;
  if (!j) return;
  for (i = 0; i < j->count; i++) {
    json_free(j->items[i]);
    if (j->keys) free(j->keys[i]);
  }
  free(j->items);
  free(j->keys);
  free(j->string);
  free(j);
}

const json_t *json_get(const json_t *j, const char *key) {
  size_t i;
  if (!j || j->kind != J_OBJECT) return NULL;
  for (i = 0; i < j->count; i++)
    if (strcmp(j->keys[i], key) == 0) return j->items[i];
  return NULL;
}

double json_num(const json_t *j, const char *key, double fallback) {
  const json_t *v = json_get(j, key);
  return v && (v->kind == J_NUMBER || v->kind == J_BOOL) ? v->number : fallback;
}

const char *json_str(const json_t *j, const char *key, const char *fallback) {
  const json_t *v = json_get(j, key);
  return v && v->kind == J_STRING ? v->string : fallback;
}

int json_bool(const json_t *j, const char *key, int fallback) {
  const json_t *v = json_get(j, key);
  return v && v->kind == J_BOOL ? (int)v->number : fallback;
}
