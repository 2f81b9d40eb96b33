/* The compiled kernel of impostor: the key-pair candidate search and the weighted edit distance.
 *
 * Both are exact transcriptions of the pure-Python reference implementations (CandidateIndex.search_python and
 * Scorer.align_python); tests/test_kernel.py checks that they agree.  Everything here works on integers
 * prepared by the Python side:
 *
 *   a token code    int32[TOKEN_FIELDS]: text id, visual id, is-syllable, 4 reading ids, 4 fuzzy-pinyin ids
 *                   (-1 where there is none); ids are interned strings (Normalizer.intern)
 *   a key pair      (first key << 32) | second key, key ids from Normalizer.key_id
 *
 * Channel codes are indexes into scoring.CHANNELS.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_FIELDS 11
#define READINGS 4
enum { IDENTICAL, LOOKALIKE, PINYIN, HOMOPHONE, NEAR_HOMOPHONE, NEAR_LOOKALIKE, SYNONYM, OTHER, INSERTED, REPEATED,
       DELETED };
enum { SUB, DEL, INS };
enum { KIND_HAN, KIND_SEPARATOR, KIND_OTHER };  /* kinds of one-token characters, for the screen */
#define DROPPED (-2)        /* a character that folds to nothing (spaces, emoji, invisibles) */
#define MAX_SCREENED 256    /* normalize.MAX_NAME_CHARS: longer names are never screened */
#define MAX_WORD 32
#define CHAR_SLOTS (1 << 17) /* characters the screen can know; past that, names take the full path */

/* -- an open-addressing map from uint64 keys to int32 values ------------------------------------------------- */
typedef struct {
    uint64_t *keys;
    int32_t *values;
    size_t mask;
} Map;

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return x;
}

static int map_init(Map *map, size_t n) {
    size_t capacity = 16;
    while (capacity < 2 * n) capacity <<= 1;
    map->keys = PyMem_Malloc(capacity * sizeof(uint64_t));
    map->values = PyMem_Malloc(capacity * sizeof(int32_t));
    if (map->keys == NULL || map->values == NULL) return -1;
    for (size_t i = 0; i < capacity; i++) map->values[i] = -1;
    map->mask = capacity - 1;
    return 0;
}

static void map_put(Map *map, uint64_t key, int32_t value) {
    size_t i = mix(key) & map->mask;
    while (map->values[i] != -1 && map->keys[i] != key) i = (i + 1) & map->mask;
    map->keys[i] = key;
    map->values[i] = value;
}

static inline int32_t map_get(const Map *map, uint64_t key) {
    size_t i = mix(key) & map->mask;
    while (map->values[i] != -1) {
        if (map->keys[i] == key) return map->values[i];
        i = (i + 1) & map->mask;
    }
    return -1;
}

static void map_free(Map *map) {
    PyMem_Free(map->keys);
    PyMem_Free(map->values);
    map->keys = NULL;
    map->values = NULL;
}

static inline uint64_t pair_key(int64_t a, int64_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

/* -- the Scorer kernel: weighted edit distance with free prefix and suffix --------------------------------------- */
typedef struct {
    PyObject_HEAD
    Map substitutes;  /* (expected text id, found text id) -> index into the two arrays below */
    double *substitute_cost;
    int32_t *substitute_channel;
    double lookalike, pinyin, homophone, near_homophone, insert, repeat;
    long insert_min_length;
    double *cost;     /* (m + 1) x (n + 1) work space, grown as needed */
    uint8_t *back;
    double *sub_cost; /* m x n */
    uint8_t *sub_channel;
    size_t capacity;
} Aligner;

static int ensure(Aligner *self, size_t cells) {
    if (cells <= self->capacity) return 0;
    PyMem_Free(self->cost); PyMem_Free(self->back); PyMem_Free(self->sub_cost); PyMem_Free(self->sub_channel);
    self->cost = PyMem_Malloc(cells * sizeof(double));
    self->back = PyMem_Malloc(cells);
    self->sub_cost = PyMem_Malloc(cells * sizeof(double));
    self->sub_channel = PyMem_Malloc(cells);
    if (!self->cost || !self->back || !self->sub_cost || !self->sub_channel) {
        self->capacity = 0;
        PyErr_NoMemory();
        return -1;
    }
    self->capacity = cells;
    return 0;
}

static inline int share(const int32_t *a, const int32_t *b) {
    for (int x = 0; x < READINGS && a[x] >= 0; x++)
        for (int y = 0; y < READINGS && b[y] >= 0; y++)
            if (a[x] == b[y]) return 1;
    return 0;
}

/* The cheapest channel explaining `found` where `expected` should be (scoring.substitution). */
static inline void substitution(const Aligner *self, const int32_t *expected, const int32_t *found, double *cost,
                                uint8_t *channel) {
    if (expected[0] == found[0]) { *cost = 0.0; *channel = IDENTICAL; return; }
    if (expected[1] == found[1]) { *cost = self->lookalike; *channel = LOOKALIKE; return; }
    if (share(expected + 3, found + 3)) {
        if (found[2]) { *cost = self->pinyin; *channel = PINYIN; }
        else { *cost = self->homophone; *channel = HOMOPHONE; }
        return;
    }
    double best = 1.0;
    uint8_t how = OTHER;
    if (share(expected + 3 + READINGS, found + 3 + READINGS)) { best = self->near_homophone; how = NEAR_HOMOPHONE; }
    int32_t listed = map_get(&self->substitutes, pair_key(expected[0], found[0]));
    if (listed >= 0 && self->substitute_cost[listed] < best) {
        best = self->substitute_cost[listed];
        how = (uint8_t)self->substitute_channel[listed];
    }
    *cost = best;
    *channel = how;
}

static int buffer_of(PyObject *obj, Py_buffer *view, Py_ssize_t item, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_SIMPLE) < 0) return -1;
    if (view->len % item) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "%s: size %zd is not a multiple of %zd", what, view->len, item);
        return -1;
    }
    return 0;
}

static int Aligner_init(Aligner *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"pairs", "pair_costs", "pair_channels", "lookalike", "pinyin", "homophone",
                             "near_homophone", "insert", "repeat", "insert_min_length", NULL};
    PyObject *pairs_obj, *costs_obj, *channels_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOddddddl", kwlist, &pairs_obj, &costs_obj, &channels_obj,
                                     &self->lookalike, &self->pinyin, &self->homophone, &self->near_homophone,
                                     &self->insert, &self->repeat, &self->insert_min_length))
        return -1;
    Py_buffer pairs, costs, channels;
    if (buffer_of(pairs_obj, &pairs, 8, "pairs") < 0) return -1;
    if (buffer_of(costs_obj, &costs, 8, "pair_costs") < 0) { PyBuffer_Release(&pairs); return -1; }
    if (buffer_of(channels_obj, &channels, 4, "pair_channels") < 0) {
        PyBuffer_Release(&pairs); PyBuffer_Release(&costs); return -1;
    }
    Py_ssize_t n = pairs.len / 8;
    int status = -1;
    if (costs.len / 8 != n || channels.len / 4 != n) {
        PyErr_SetString(PyExc_ValueError, "pairs, pair_costs and pair_channels differ in length");
        goto done;
    }
    if (map_init(&self->substitutes, (size_t)n) < 0) { PyErr_NoMemory(); goto done; }
    self->substitute_cost = PyMem_Malloc((n + 1) * sizeof(double));
    self->substitute_channel = PyMem_Malloc((n + 1) * sizeof(int32_t));
    if (!self->substitute_cost || !self->substitute_channel) { PyErr_NoMemory(); goto done; }
    memcpy(self->substitute_cost, costs.buf, n * sizeof(double));
    memcpy(self->substitute_channel, channels.buf, n * sizeof(int32_t));
    const uint64_t *keys = pairs.buf;
    for (Py_ssize_t i = 0; i < n; i++) map_put(&self->substitutes, keys[i], (int32_t)i);
    status = 0;
done:
    PyBuffer_Release(&pairs); PyBuffer_Release(&costs); PyBuffer_Release(&channels);
    return status;
}

static void Aligner_dealloc(Aligner *self) {
    map_free(&self->substitutes);
    PyMem_Free(self->substitute_cost); PyMem_Free(self->substitute_channel);
    PyMem_Free(self->cost); PyMem_Free(self->back); PyMem_Free(self->sub_cost); PyMem_Free(self->sub_channel);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* One placement as (cost, start, end, ((channel, i, j, cost), ...)): i indexes the pattern, j the name, -1 = none. */
static PyObject *trace(const Aligner *self, Py_ssize_t m, Py_ssize_t n, Py_ssize_t end, const double *deletes,
                       const double *inserts, const uint8_t *insert_channel) {
    Py_ssize_t width = n + 1, i = m, j = end, count = 0;
    PyObject *ops = PyList_New(0);
    if (ops == NULL) return NULL;
    while (i > 0) {
        uint8_t how = self->back[i * width + j];
        PyObject *op;
        if (how == SUB) {
            op = Py_BuildValue("(innd)", (int)self->sub_channel[(i - 1) * n + (j - 1)], i - 1, j - 1,
                               self->sub_cost[(i - 1) * n + (j - 1)]);
            i--; j--;
        } else if (how == DEL) {
            op = Py_BuildValue("(innd)", DELETED, i - 1, (Py_ssize_t)-1, deletes[i - 1]);
            i--;
        } else {
            op = Py_BuildValue("(innd)", (int)insert_channel[j - 1], (Py_ssize_t)-1, j - 1, inserts[j - 1]);
            j--;
        }
        if (op == NULL || PyList_Append(ops, op) < 0) { Py_XDECREF(op); Py_DECREF(ops); return NULL; }
        Py_DECREF(op);
        count++;
    }
    if (PyList_Reverse(ops) < 0) { Py_DECREF(ops); return NULL; }
    PyObject *tuple = PyList_AsTuple(ops);
    Py_DECREF(ops);
    if (tuple == NULL) return NULL;
    return Py_BuildValue("(dnnN)", self->cost[m * width + end], j, end, tuple);
}

static PyObject *Aligner_align(Aligner *self, PyObject *args) {
    Py_buffer pattern, deletes_view, name, fills_view;
    double budget;
    if (!PyArg_ParseTuple(args, "y*y*y*y*d", &pattern, &deletes_view, &name, &fills_view, &budget)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t token_size = TOKEN_FIELDS * sizeof(int32_t);
    Py_ssize_t m = pattern.len / token_size, n = name.len / token_size;
    if (pattern.len % token_size || name.len % token_size || deletes_view.len != m * (Py_ssize_t)sizeof(double)
        || fills_view.len != n * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "align: token codes and cost arrays do not fit together");
        goto done;
    }
    if (ensure(self, (size_t)(m + 1) * (size_t)(n + 1) + 1) < 0) goto done;
    double *inserts = PyMem_Malloc((n + 1) * sizeof(double));
    uint8_t *insert_channel = PyMem_Malloc(n + 1);
    if (!inserts || !insert_channel) { PyMem_Free(inserts); PyMem_Free(insert_channel); PyErr_NoMemory(); goto done; }
    const int32_t *p = pattern.buf, *t = name.buf;
    const double *deletes = deletes_view.buf, *fills = fills_view.buf;
    /* Inserting a copy of the previous character is decoration; shorter registry names take no insertions. */
    double insert_cost = m >= self->insert_min_length ? self->insert : 1.0;
    for (Py_ssize_t j = 0; j < n; j++) {
        if (j > 0 && t[j * TOKEN_FIELDS + 1] == t[(j - 1) * TOKEN_FIELDS + 1]) {
            inserts[j] = self->repeat; insert_channel[j] = REPEATED;
        } else {
            inserts[j] = fills[j] >= 0 ? fills[j] : insert_cost; insert_channel[j] = INSERTED;
        }
    }
    for (Py_ssize_t i = 0; i < m; i++)
        for (Py_ssize_t j = 0; j < n; j++)
            substitution(self, p + i * TOKEN_FIELDS, t + j * TOKEN_FIELDS, &self->sub_cost[i * n + j],
                         &self->sub_channel[i * n + j]);
    Py_ssize_t width = n + 1;
    double *cost = self->cost;
    uint8_t *back = self->back;
    for (Py_ssize_t j = 0; j <= n; j++) { cost[j] = 0.0; back[j] = SUB; }
    for (Py_ssize_t i = 1; i <= m; i++) {
        double *row = cost + i * width, *prev = cost + (i - 1) * width, d = deletes[i - 1];
        const double *s = self->sub_cost + (i - 1) * n;
        uint8_t *brow = back + i * width;
        row[0] = prev[0] + d;
        brow[0] = DEL;
        for (Py_ssize_t j = 1; j <= n; j++) {
            double best = prev[j - 1] + s[j - 1], c;
            uint8_t how = SUB;
            c = prev[j] + d;
            if (c < best) { best = c; how = DEL; }
            if (i < m) {
                c = row[j - 1] + inserts[j - 1];
                if (c < best) { best = c; how = INS; }
            }
            row[j] = best;
            brow[j] = how;
        }
    }
    const double *last = cost + m * width;
    Py_ssize_t best_end = 0;
    for (Py_ssize_t j = 1; j <= n; j++)
        if (last[j] <= last[best_end]) best_end = j;  /* the cheapest, the latest among equals */
    result = PyList_New(0);
    if (result != NULL) {
        PyObject *first = trace(self, m, n, best_end, deletes, inserts, insert_channel);
        if (first == NULL || PyList_Append(result, first) < 0) { Py_XDECREF(first); Py_CLEAR(result); }
        else Py_DECREF(first);
        /* Reaching the end of the name may cost a little more yet leave no unexplained tail. */
        if (result != NULL && best_end != n && last[n] <= budget) {
            PyObject *full = trace(self, m, n, n, deletes, inserts, insert_channel);
            if (full == NULL || PyList_Append(result, full) < 0) { Py_XDECREF(full); Py_CLEAR(result); }
            else Py_DECREF(full);
        }
    }
    PyMem_Free(inserts);
    PyMem_Free(insert_channel);
done:
    PyBuffer_Release(&pattern); PyBuffer_Release(&deletes_view); PyBuffer_Release(&name);
    PyBuffer_Release(&fills_view);
    return result;
}

static PyMethodDef Aligner_methods[] = {
    {"align", (PyCFunction)Aligner_align, METH_VARARGS,
     "align(pattern, deletes, name, fills, budget) -> [(cost, start, end, ops)]"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject AlignerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "impostor._kernel.Aligner",
    .tp_basicsize = sizeof(Aligner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Weighted edit distance of a registry name inside a name (see scoring.Scorer).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Aligner_init,
    .tp_dealloc = (destructor)Aligner_dealloc,
    .tp_methods = Aligner_methods,
};

/* -- the candidate search: registry names sharing enough key pairs with a name ---------------------------------- */
typedef struct {
    PyObject_HEAD
    Map pairs;          /* key pair -> index into offsets */
    int64_t *offsets;   /* postings of pair k: [offsets[k], offsets[k + 1]) */
    int32_t *posting_form;
    uint8_t *posting_bit;
    int32_t *required;
    int32_t *length;
    Py_ssize_t forms;
    uint64_t *matched;  /* per form: the bit set of its pair positions seen in the current name */
    int32_t *touched;   /* forms with a non-zero entry in matched */
    Py_ssize_t max_candidates;
    /* The screen: characters known to be one token (or none), and the words of the vocabulary. */
    Map chars;          /* code point -> character index, or DROPPED */
    Py_ssize_t nchars, chars_capacity;  /* characters with a token */
    Py_ssize_t nmapped;                 /* entries in the map: those, and the ones that fold to nothing */
    int32_t *char_text; /* the token's text (one code point) */
    uint8_t *char_kind;
    int32_t *char_keys; /* search keys of character c: char_keys[char_key_start[c] .. char_key_start[c + 1]) */
    int32_t *char_key_start;
    Py_ssize_t nkeys, keys_capacity;
    Map words;          /* hashes of the vocabulary's words */
    Py_ssize_t nwords;
    uint8_t word_length[MAX_WORD + 1];
    Py_ssize_t max_word;
} Searcher;

static void Searcher_dealloc(Searcher *self) {
    map_free(&self->pairs);
    map_free(&self->chars);
    map_free(&self->words);
    PyMem_Free(self->char_text); PyMem_Free(self->char_kind); PyMem_Free(self->char_keys);
    PyMem_Free(self->char_key_start);
    PyMem_Free(self->offsets); PyMem_Free(self->posting_form); PyMem_Free(self->posting_bit);
    PyMem_Free(self->required); PyMem_Free(self->length); PyMem_Free(self->matched); PyMem_Free(self->touched);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void *copy_of(const Py_buffer *view) {
    void *out = PyMem_Malloc(view->len ? view->len : 1);
    if (out != NULL) memcpy(out, view->buf, view->len);
    return out;
}

static int Searcher_init(Searcher *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"pairs", "offsets", "posting_forms", "posting_bits", "required", "lengths",
                             "max_candidates", NULL};
    PyObject *objs[6];
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOn", kwlist, &objs[0], &objs[1], &objs[2], &objs[3],
                                     &objs[4], &objs[5], &self->max_candidates))
        return -1;
    static const Py_ssize_t sizes[6] = {8, 8, 4, 1, 4, 4};
    static const char *names[6] = {"pairs", "offsets", "posting_forms", "posting_bits", "required", "lengths"};
    Py_buffer views[6];
    int got = 0, status = -1;
    for (; got < 6; got++)
        if (buffer_of(objs[got], &views[got], sizes[got], names[got]) < 0) goto done;
    Py_ssize_t npairs = views[0].len / 8, npostings = views[2].len / 4;
    self->forms = views[4].len / 4;
    if (views[1].len / 8 != npairs + 1 || views[3].len != npostings || views[5].len / 4 != self->forms) {
        PyErr_SetString(PyExc_ValueError, "Searcher: index arrays differ in length");
        goto done;
    }
    const int64_t *offsets = views[1].buf;
    for (Py_ssize_t k = 0; k < npairs; k++)
        if (offsets[k] < 0 || offsets[k] > offsets[k + 1] || offsets[k + 1] > npostings) {
            PyErr_SetString(PyExc_ValueError, "Searcher: offsets out of order");
            goto done;
        }
    const int32_t *forms = views[2].buf;
    for (Py_ssize_t k = 0; k < npostings; k++)
        if (forms[k] < 0 || forms[k] >= self->forms || ((const uint8_t *)views[3].buf)[k] > 63) {
            PyErr_SetString(PyExc_ValueError, "Searcher: a posting names no form or a pair position beyond 63");
            goto done;
        }
    if (map_init(&self->pairs, (size_t)npairs) < 0) { PyErr_NoMemory(); goto done; }
    const uint64_t *keys = views[0].buf;
    for (Py_ssize_t k = 0; k < npairs; k++) map_put(&self->pairs, keys[k], (int32_t)k);
    self->offsets = copy_of(&views[1]);
    self->posting_form = copy_of(&views[2]);
    self->posting_bit = copy_of(&views[3]);
    self->required = copy_of(&views[4]);
    self->length = copy_of(&views[5]);
    self->matched = PyMem_Calloc(self->forms + 1, sizeof(uint64_t));
    self->touched = PyMem_Malloc((self->forms + 1) * sizeof(int32_t));
    if (!self->offsets || !self->posting_form || !self->posting_bit || !self->required || !self->length
        || !self->matched || !self->touched) { PyErr_NoMemory(); goto done; }
    if (map_init(&self->chars, CHAR_SLOTS / 2) < 0 || map_init(&self->words, 1024) < 0) { PyErr_NoMemory(); goto done; }
    self->char_key_start = PyMem_Malloc(sizeof(int32_t));
    if (self->char_key_start == NULL) { PyErr_NoMemory(); goto done; }
    self->char_key_start[0] = 0;
    status = 0;
done:
    for (int k = 0; k < got; k++) PyBuffer_Release(&views[k]);
    return status;
}

typedef struct {
    double ratio;
    int32_t length, form;
} Scored;

static int by_rank(const void *a, const void *b) {  /* descending (ratio, length, form), as Python's sort */
    const Scored *x = a, *y = b;
    if (x->ratio != y->ratio) return x->ratio < y->ratio ? 1 : -1;
    if (x->length != y->length) return x->length < y->length ? 1 : -1;
    return x->form < y->form ? 1 : (x->form > y->form ? -1 : 0);
}

/* search(keys) with keys a sequence (one per token) of sequences of key ids -> ranked form ids. */
static PyObject *Searcher_search(Searcher *self, PyObject *keys_obj) {
    PyObject *seq = PySequence_Fast(keys_obj, "search: expected a sequence of key tuples");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), touched = 0;
    PyObject *result = NULL;
    Scored *scored = NULL;
    PyObject *previous = NULL;  /* the previous token's keys, as a fast sequence */
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *current = PySequence_Fast(PySequence_Fast_GET_ITEM(seq, i), "search: keys must be sequences");
        if (current == NULL) goto fail;
        if (previous != NULL) {
            Py_ssize_t na = PySequence_Fast_GET_SIZE(previous), nb = PySequence_Fast_GET_SIZE(current);
            for (Py_ssize_t x = 0; x < na; x++) {
                long long a = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(previous, x));
                for (Py_ssize_t y = 0; y < nb; y++) {
                    long long b = PyLong_AsLongLong(PySequence_Fast_GET_ITEM(current, y));
                    if (PyErr_Occurred()) { Py_DECREF(current); goto fail; }
                    int32_t k = map_get(&self->pairs, pair_key(a, b));
                    if (k < 0) continue;
                    for (int64_t q = self->offsets[k]; q < self->offsets[k + 1]; q++) {
                        int32_t form = self->posting_form[q];
                        if (self->matched[form] == 0) self->touched[touched++] = form;
                        self->matched[form] |= (uint64_t)1 << self->posting_bit[q];
                    }
                }
            }
            Py_DECREF(previous);
        }
        previous = current;
    }
    Py_CLEAR(previous);
    scored = PyMem_Malloc((touched + 1) * sizeof(Scored));
    if (scored == NULL) { PyErr_NoMemory(); goto fail; }
    Py_ssize_t count = 0;
    for (Py_ssize_t t = 0; t < touched; t++) {
        int32_t form = self->touched[t];
        int hits = __builtin_popcountll(self->matched[form]);
        if (hits >= self->required[form]) {
            scored[count].ratio = (double)hits / (double)(self->length[form] - 1);
            scored[count].length = self->length[form];
            scored[count].form = form;
            count++;
        }
    }
    qsort(scored, count, sizeof(Scored), by_rank);
    /* Names sharing less than half as much of their pairs as the best candidate are not worth an alignment. */
    double floor = count ? scored[0].ratio * 0.5 : 0.0;
    Py_ssize_t keep = count < self->max_candidates ? count : self->max_candidates;
    result = PyList_New(0);
    for (Py_ssize_t c = 0; result != NULL && c < keep; c++) {
        if (scored[c].ratio < floor) continue;
        PyObject *form = PyLong_FromLong(scored[c].form);
        if (form == NULL || PyList_Append(result, form) < 0) Py_CLEAR(result);
        Py_XDECREF(form);
    }
fail:
    Py_XDECREF(previous);
    for (Py_ssize_t t = 0; t < touched; t++) self->matched[self->touched[t]] = 0;
    PyMem_Free(scored);
    Py_DECREF(seq);
    return result;
}

/* -- the screen ------------------------------------------------------------------------------------------------- */
static inline uint64_t word_step(uint64_t hash, Py_UCS4 cp) { return (hash ^ cp) * 0x100000001b3ULL; }
#define WORD_SEED 0xcbf29ce484222325ULL

/* add_char(char, text, kind, keys): `char` is one token with text `text` (one character) of `kind` and these search
 * keys; kind -1 says it folds to nothing. */
static PyObject *Searcher_add_char(Searcher *self, PyObject *args) {
    int cp, text, kind;
    PyObject *keys_obj;
    if (!PyArg_ParseTuple(args, "iiiO", &cp, &text, &kind, &keys_obj)) return NULL;
    if (map_get(&self->chars, (uint64_t)cp) != -1) Py_RETURN_NONE;
    if (self->nmapped >= CHAR_SLOTS / 2) Py_RETURN_NONE;  /* full: names with this character take the full path */
    if (kind < 0) { map_put(&self->chars, (uint64_t)cp, DROPPED); self->nmapped++; Py_RETURN_NONE; }
    PyObject *keys = PySequence_Fast(keys_obj, "add_char: keys must be a sequence");
    if (keys == NULL) return NULL;
    Py_ssize_t nk = PySequence_Fast_GET_SIZE(keys), c = self->nchars;
    if (self->nkeys + nk > self->keys_capacity) {
        Py_ssize_t capacity = (self->keys_capacity + nk) * 2;
        int32_t *grown = PyMem_Realloc(self->char_keys, capacity * sizeof(int32_t));
        if (grown == NULL) { Py_DECREF(keys); return PyErr_NoMemory(); }
        self->char_keys = grown;
        self->keys_capacity = capacity;
    }
    if (c + 1 >= self->chars_capacity) {
        Py_ssize_t capacity = (self->chars_capacity + 1) * 2;
        int32_t *text_grown = PyMem_Realloc(self->char_text, capacity * sizeof(int32_t));
        if (text_grown) self->char_text = text_grown;
        uint8_t *kind_grown = PyMem_Realloc(self->char_kind, capacity);
        if (kind_grown) self->char_kind = kind_grown;
        int32_t *start_grown = PyMem_Realloc(self->char_key_start, (capacity + 1) * sizeof(int32_t));
        if (start_grown) self->char_key_start = start_grown;
        if (!text_grown || !kind_grown || !start_grown) { Py_DECREF(keys); return PyErr_NoMemory(); }
        self->chars_capacity = capacity;
    }
    for (Py_ssize_t k = 0; k < nk; k++) {
        long key = PyLong_AsLong(PySequence_Fast_GET_ITEM(keys, k));
        if (key == -1 && PyErr_Occurred()) { Py_DECREF(keys); return NULL; }
        self->char_keys[self->nkeys + k] = (int32_t)key;
    }
    Py_DECREF(keys);
    self->nkeys += nk;
    self->char_text[c] = text;
    self->char_kind[c] = (uint8_t)kind;
    self->char_key_start[c + 1] = (int32_t)self->nkeys;
    map_put(&self->chars, (uint64_t)cp, (int32_t)c);
    self->nchars++;
    self->nmapped++;
    Py_RETURN_NONE;
}

static PyObject *Searcher_add_word(Searcher *self, PyObject *word) {
    if (!PyUnicode_Check(word)) { PyErr_SetString(PyExc_TypeError, "add_word: expected a str"); return NULL; }
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    if (n > MAX_WORD) { PyErr_Format(PyExc_ValueError, "add_word: words are at most %d characters", MAX_WORD); return NULL; }
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    uint64_t hash = WORD_SEED;
    for (Py_ssize_t i = 0; i < n; i++) hash = word_step(hash, PyUnicode_READ(kind, data, i));
    if ((Py_ssize_t)(self->words.mask + 1) < 4 * (self->nwords + 1)) {  /* keep the table at most half full */
        Map grown;
        if (map_init(&grown, 2 * (self->words.mask + 1)) < 0) return PyErr_NoMemory();
        for (size_t i = 0; i <= self->words.mask; i++)
            if (self->words.values[i] != -1) map_put(&grown, self->words.keys[i], 0);
        map_free(&self->words);
        self->words = grown;
    }
    if (map_get(&self->words, hash) == -1) { map_put(&self->words, hash, 0); self->nwords++; }
    self->word_length[n] = 1;
    if (n > self->max_word) self->max_word = n;
    Py_RETURN_NONE;
}

/* screen(name) -> True when `name` certainly holds no candidate registry name and no word of the vocabulary (its
 * verdict is a plain pass), False when it must take the full path (or has characters the screen does not know). */
static PyObject *Searcher_screen(Searcher *self, PyObject *name) {
    if (!PyUnicode_Check(name)) { PyErr_SetString(PyExc_TypeError, "screen: expected a str"); return NULL; }
    Py_ssize_t length = PyUnicode_GET_LENGTH(name), n = 0;
    if (length > MAX_SCREENED) Py_RETURN_FALSE;
    int kind = PyUnicode_KIND(name);
    const void *data = PyUnicode_DATA(name);
    int32_t tokens[MAX_SCREENED];
    for (Py_ssize_t i = 0; i < length; i++) {
        int32_t c = map_get(&self->chars, (uint64_t)PyUnicode_READ(kind, data, i));
        if (c == -1) Py_RETURN_FALSE;
        if (c != DROPPED) tokens[n++] = c;
    }
    /* Single letters or digits interleaved with Han characters are dropped by the normalizer: full path. */
    int interleaved = 0;
    for (Py_ssize_t i = 1; i + 1 < n; i++)
        if (self->char_kind[tokens[i]] == KIND_SEPARATOR && self->char_kind[tokens[i - 1]] == KIND_HAN
            && self->char_kind[tokens[i + 1]] == KIND_HAN)
            interleaved++;
    if (interleaved >= 2) Py_RETURN_FALSE;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        uint64_t hash = WORD_SEED;
        for (Py_ssize_t len = 1; len <= self->max_word && i + len <= n; len++) {
            hash = word_step(hash, (Py_UCS4)self->char_text[tokens[i + len - 1]]);
            if (len >= 2 && self->word_length[len] && map_get(&self->words, hash) != -1) Py_RETURN_FALSE;
        }
    }
    Py_ssize_t touched = 0;
    int found = 0;
    for (Py_ssize_t i = 0; i + 1 < n && !found; i++) {
        const int32_t *a = self->char_keys + self->char_key_start[tokens[i]];
        const int32_t *a_end = self->char_keys + self->char_key_start[tokens[i] + 1];
        const int32_t *b0 = self->char_keys + self->char_key_start[tokens[i + 1]];
        const int32_t *b_end = self->char_keys + self->char_key_start[tokens[i + 1] + 1];
        for (; a < a_end; a++)
            for (const int32_t *b = b0; b < b_end; b++) {
                int32_t k = map_get(&self->pairs, pair_key(*a, *b));
                if (k < 0) continue;
                for (int64_t q = self->offsets[k]; q < self->offsets[k + 1]; q++) {
                    int32_t form = self->posting_form[q];
                    if (self->matched[form] == 0) self->touched[touched++] = form;
                    self->matched[form] |= (uint64_t)1 << self->posting_bit[q];
                }
            }
    }
    for (Py_ssize_t t = 0; t < touched; t++) {
        int32_t form = self->touched[t];
        if (__builtin_popcountll(self->matched[form]) >= self->required[form]) found = 1;
        self->matched[form] = 0;
    }
    if (found) Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

static PyMethodDef Searcher_methods[] = {
    {"search", (PyCFunction)Searcher_search, METH_O, "search(keys per token) -> ranked candidate form ids"},
    {"add_char", (PyCFunction)Searcher_add_char, METH_VARARGS,
     "add_char(char, text, kind, keys): teach the screen a character that is one token (kind -1: none)"},
    {"add_word", (PyCFunction)Searcher_add_word, METH_O, "add_word(word): a word the screen must send on"},
    {"screen", (PyCFunction)Searcher_screen, METH_O,
     "screen(name) -> True when the name certainly holds no candidate and no word"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject SearcherType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "impostor._kernel.Searcher",
    .tp_basicsize = sizeof(Searcher),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Key-pair index over registry names (see candidates.CandidateIndex).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Searcher_init,
    .tp_dealloc = (destructor)Searcher_dealloc,
    .tp_methods = Searcher_methods,
};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "impostor._kernel",
    "The compiled search and scoring kernel of impostor (pure-Python equivalents in candidates.py and scoring.py).",
    -1, NULL};

PyMODINIT_FUNC PyInit__kernel(void) {
    if (PyType_Ready(&AlignerType) < 0 || PyType_Ready(&SearcherType) < 0) return NULL;
    PyObject *module = PyModule_Create(&kernel_module);
    if (module == NULL) return NULL;
    if (PyModule_AddIntConstant(module, "TOKEN_FIELDS", TOKEN_FIELDS) < 0) goto fail;
    Py_INCREF(&AlignerType);
    if (PyModule_AddObject(module, "Aligner", (PyObject *)&AlignerType) < 0) { Py_DECREF(&AlignerType); goto fail; }
    Py_INCREF(&SearcherType);
    if (PyModule_AddObject(module, "Searcher", (PyObject *)&SearcherType) < 0) { Py_DECREF(&SearcherType); goto fail; }
    return module;
fail:
    Py_DECREF(module);
    return NULL;
}
