/* The compiled kernel of impostor: what runs for every name, in C.  Its Python twin is _kernel_py.py: the same
 * types, methods, constants and errors; kernel.py chooses one of the two once per process.
 *
 *   Aligner     the weighted edit distance placing registry names in a name (scoring.Scorer)
 *   Searcher    the key-pair candidate search (candidates.CandidateIndex)
 *   Screen      a name read from its raw characters, passed when it can hold no candidate, word, region, pattern
 *               or initials (the full path would find nothing: tests/test_kernel.py checks it against the full
 *               path); word_spans: where the vocabulary's words may be (candidates.CandidateIndex.words)
 *   LineTable   the distinct lines of a scan's text input and their row tails (lines.LineMemo)
 *   join_rows   output rows joined in one pass (output.jsonl_rows)
 *
 * Each is an exact transcription of its Python twin; tests/test_kernel.py checks that they agree, and the suite runs
 * once on each (IMPOSTOR_KERNEL=python).  The constants both sides hold (TOKEN_FIELDS, READINGS, CHANNELS, the
 * length caps) are exported and checked at import (kernel.require).  No function releases the GIL: the HTTP
 * service's threads share one Detector on that (serve.py).  Everything works on integers prepared by Python:
 *
 *   a token code    int32[TOKEN_FIELDS]: text id, visual id, is-syllable, 4 reading ids, 4 fuzzy-pinyin ids
 *                   (-1 where there is none); ids are interned strings (Normalizer.intern)
 *   a key pair      (first key << 32) | second key, key ids from Normalizer.key_id
 *
 * Channel codes are indexes into channels.CHANNELS.
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
/* The channel names in the order of the codes above, exported as CHANNELS: the import checks them against
 * scoring.CHANNELS (kernel.require), as it checks the other exported constants against the Python side's. */
static const char *CHANNEL_NAMES[] = {"identical", "look-alike", "pinyin", "homophone", "near-homophone",
                                      "near look-alike", "same-kind word", "different", "inserted", "repeated",
                                      "deleted"};
enum { SUB, DEL, INS };

/* -- an open-addressing map from uint64 keys to int32 values ------------------------------------------------- */
typedef struct {  /* a key beside its value: a probe reads one cache line (the index maps are megabytes) */
    uint64_t key;
    int32_t value;  /* -1: empty */
    uint8_t fits;   /* the key-pair map only: the fewest tokens a name needs to hold any of the pair's forms */
} MapSlot;

typedef struct {
    MapSlot *slots;
    size_t mask;
} Map;

static inline uint64_t mix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return x;
}

static int map_init(Map *map, size_t n) {
    size_t capacity = 16;
    while (capacity < 2 * n) capacity <<= 1;
    map->slots = PyMem_Malloc(capacity * sizeof(MapSlot));
    if (map->slots == NULL) return -1;
    for (size_t i = 0; i < capacity; i++) map->slots[i].value = -1;
    map->mask = capacity - 1;
    return 0;
}

static MapSlot *map_put(Map *map, uint64_t key, int32_t value) {
    size_t i = mix(key) & map->mask;
    while (map->slots[i].value != -1 && map->slots[i].key != key) i = (i + 1) & map->mask;
    map->slots[i].key = key;
    map->slots[i].value = value;
    map->slots[i].fits = 0;
    return &map->slots[i];
}

/* The slot of `key`, looked for from slot `i` (its home slot, mix(key) & mask), or NULL. */
static inline const MapSlot *map_find(const Map *map, uint64_t key, size_t i) {
    while (map->slots[i].value != -1) {
        if (map->slots[i].key == key) return &map->slots[i];
        i = (i + 1) & map->mask;
    }
    return NULL;
}

static inline int32_t map_get(const Map *map, uint64_t key) {
    const MapSlot *slot = map_find(map, key, mix(key) & map->mask);
    return slot == NULL ? -1 : slot->value;
}

static void map_free(Map *map) {
    PyMem_Free(map->slots);
    map->slots = NULL;
}

/* Room for one more key in a map holding `count`: twice the slots once a quarter is used.  0, or -1 (no memory). */
static int map_reserve(Map *map, Py_ssize_t count) {
    if ((Py_ssize_t)(map->mask + 1) >= 4 * (count + 1)) return 0;
    Map grown;
    if (map_init(&grown, 2 * (map->mask + 1)) < 0) return -1;
    for (size_t i = 0; i <= map->mask; i++)
        if (map->slots[i].value != -1)
            map_put(&grown, map->slots[i].key, map->slots[i].value)->fits = map->slots[i].fits;
    map_free(map);
    *map = grown;
    return 0;
}

static inline uint64_t pair_key(int64_t a, int64_t b) { return ((uint64_t)(uint32_t)a << 32) | (uint32_t)b; }

/* -- the Scorer kernel: weighted edit distance with free prefix and suffix --------------------------------------- */
typedef struct {
    PyObject_HEAD
    Map substitutes;  /* (expected text id, found text id) -> index into the two arrays below */
    Map partnered;    /* found text ids of substitutes: a name token not here never needs the lookup */
    Map fillers;      /* text id -> index into filler_cost: what inserting such a character costs (的, 之) */
    double *filler_cost;
    double *substitute_cost;
    int32_t *substitute_channel;
    double lookalike, pinyin, homophone, near_homophone, insert, repeat;
    long insert_min_length;
    double block_score;       /* Costs.block_score: for the score of placements over budget (Costs.score) */
    double *cost;     /* (m + 1) x (n + 1) work space, grown as needed */
    uint8_t *back;
    double *sub_cost; /* m x n */
    uint8_t *sub_channel;
    size_t capacity;
    PyObject *op_type;        /* scoring.Op: a tuple subclass, made here for every step */
    PyObject *alignment_type; /* scoring.Alignment: the same, for every placement */
    PyObject *channel_names;  /* scoring.CHANNELS: a tuple of str, by channel code */
    PyObject *empty;          /* "" */
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

/* The cheapest channel explaining `found` where `expected` should be. */
static inline void substitution(const Aligner *self, const int32_t *expected, const int32_t *found,
                                uint64_t common_readings, uint64_t common_fuzzy, int partnered, double *cost,
                                uint8_t *channel) {
    /* common_*: the bits the two tokens' reading (fuzzy) ids share (see id_bits), none meaning no shared id;
     * partnered: whether `found` is the second text of any listed substitute */
    if (expected[0] == found[0]) { *cost = 0.0; *channel = IDENTICAL; return; }
    if (expected[1] == found[1]) { *cost = self->lookalike; *channel = LOOKALIKE; return; }
    if (common_readings && share(expected + 3, found + 3)) {
        if (found[2]) { *cost = self->pinyin; *channel = PINYIN; }
        else { *cost = self->homophone; *channel = HOMOPHONE; }
        return;
    }
    double best = 1.0;
    uint8_t how = OTHER;
    if (common_fuzzy && share(expected + 3 + READINGS, found + 3 + READINGS)) { best = self->near_homophone; how = NEAR_HOMOPHONE; }
    int32_t listed = partnered ? map_get(&self->substitutes, pair_key(expected[0], found[0])) : -1;
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
                             "near_homophone", "insert", "repeat", "insert_min_length", "block_score", "op_type",
                             "alignment_type", "channel_names", "filler_texts", "filler_costs", NULL};
    PyObject *pairs_obj, *costs_obj, *channels_obj, *op_type, *alignment_type, *channel_names, *filler_texts_obj,
             *filler_costs_obj;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOddddddldO!O!O!OO", kwlist, &pairs_obj, &costs_obj,
                                     &channels_obj, &self->lookalike, &self->pinyin, &self->homophone,
                                     &self->near_homophone, &self->insert, &self->repeat, &self->insert_min_length,
                                     &self->block_score, &PyType_Type, &op_type, &PyType_Type, &alignment_type,
                                     &PyTuple_Type, &channel_names, &filler_texts_obj, &filler_costs_obj))
        return -1;
    PyObject *types[2] = {op_type, alignment_type};
    for (int k = 0; k < 2; k++)
        if (!PyType_IsSubtype((PyTypeObject *)types[k], &PyTuple_Type)
            || ((PyTypeObject *)types[k])->tp_basicsize != PyTuple_Type.tp_basicsize) {
            PyErr_SetString(PyExc_TypeError,
                            "op_type and alignment_type must be tuple subclasses without fields of their own (NamedTuples)");
            return -1;
        }
    if (PyTuple_GET_SIZE(channel_names) <= DELETED) {
        PyErr_SetString(PyExc_ValueError, "channel_names must name every channel code");
        return -1;
    }
    for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(channel_names); k++)
        if (!PyUnicode_Check(PyTuple_GET_ITEM(channel_names, k))) {
            PyErr_SetString(PyExc_TypeError, "channel_names must be strings");
            return -1;
        }
    Py_INCREF(op_type);
    Py_XSETREF(self->op_type, op_type);
    Py_INCREF(alignment_type);
    Py_XSETREF(self->alignment_type, alignment_type);
    Py_INCREF(channel_names);
    Py_XSETREF(self->channel_names, channel_names);
    Py_XSETREF(self->empty, PyUnicode_FromString(""));
    if (self->empty == NULL) return -1;
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
    if (map_init(&self->partnered, (size_t)n) < 0) { PyErr_NoMemory(); goto done; }
    for (Py_ssize_t i = 0; i < n; i++) map_put(&self->partnered, (uint32_t)keys[i], 1);
    Py_buffer filler_texts, filler_costs;
    if (buffer_of(filler_texts_obj, &filler_texts, 8, "filler_texts") < 0) goto done;
    if (buffer_of(filler_costs_obj, &filler_costs, 8, "filler_costs") < 0) { PyBuffer_Release(&filler_texts); goto done; }
    Py_ssize_t nfillers = filler_texts.len / 8;
    if (filler_costs.len / 8 != nfillers) {
        PyErr_SetString(PyExc_ValueError, "filler_texts and filler_costs differ in length");
    } else if (map_init(&self->fillers, (size_t)nfillers) < 0
               || (self->filler_cost = PyMem_Malloc((nfillers + 1) * sizeof(double))) == NULL) {
        PyErr_NoMemory();
    } else {
        memcpy(self->filler_cost, filler_costs.buf, nfillers * sizeof(double));
        for (Py_ssize_t i = 0; i < nfillers; i++) map_put(&self->fillers, ((const uint64_t *)filler_texts.buf)[i], (int32_t)i);
        status = 0;
    }
    PyBuffer_Release(&filler_texts); PyBuffer_Release(&filler_costs);
done:
    PyBuffer_Release(&pairs); PyBuffer_Release(&costs); PyBuffer_Release(&channels);
    return status;
}

static void Aligner_dealloc(Aligner *self) {
    Py_XDECREF(self->op_type); Py_XDECREF(self->alignment_type); Py_XDECREF(self->channel_names); Py_XDECREF(self->empty);
    map_free(&self->substitutes);
    map_free(&self->partnered);
    map_free(&self->fillers);
    PyMem_Free(self->filler_cost);
    PyMem_Free(self->substitute_cost); PyMem_Free(self->substitute_channel);
    PyMem_Free(self->cost); PyMem_Free(self->back); PyMem_Free(self->sub_cost); PyMem_Free(self->sub_channel);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* One step as an Op(channel, expected, found, cost). */
static PyObject *make_op(const Aligner *self, int channel, PyObject *expected, PyObject *found, double cost) {
    PyTypeObject *type = (PyTypeObject *)self->op_type;
    PyObject *value = PyFloat_FromDouble(cost);
    if (value == NULL) return NULL;
    PyObject *op = type->tp_alloc(type, 4);
    if (op == NULL) { Py_DECREF(value); return NULL; }
    PyObject *name = PyTuple_GET_ITEM(self->channel_names, channel);
    Py_INCREF(name); Py_INCREF(expected); Py_INCREF(found);
    PyTuple_SET_ITEM(op, 0, name);
    PyTuple_SET_ITEM(op, 1, expected);
    PyTuple_SET_ITEM(op, 2, found);
    PyTuple_SET_ITEM(op, 3, value);
    return op;
}

/* What every placement in one name shares, prepared once per align_many. */
typedef struct {
    const int32_t *codes;     /* n token codes */
    Py_ssize_t n;
    PyObject *sources;        /* tuple of the tokens' raw characters */
    uint64_t *readings;       /* per token: a bit per reading id (id mod 64), to skip most reading comparisons */
    uint64_t *fuzzy;          /* the same for the fuzzy-pinyin ids */
    uint8_t *partnered;       /* per token: whether its text is the second of any listed substitute */
    double *inserts[2];       /* per token: the cost of inserting it, in a short [0] and a long [1] registry name */
    uint8_t *insert_channel;  /* INSERTED or REPEATED */
} Name;

static inline uint64_t id_bits(const int32_t *ids) {
    uint64_t bits = 0;
    for (int x = 0; x < READINGS && ids[x] >= 0; x++) bits |= (uint64_t)1 << (ids[x] & 63);
    return bits;
}

/* One placement as Alignment(cost, start, end, ops): ops a tuple of Op (the pattern's texts, the name's sources),
 * or () when not asked for. */
static PyObject *trace(const Aligner *self, Py_ssize_t m, const Name *name, Py_ssize_t end, const double *deletes,
                       const double *inserts, PyObject *texts, int with_ops) {
    Py_ssize_t n = name->n, width = n + 1, i = m, j = end, count = 0;
    PyObject *ops;
    if (!with_ops) {  /* only where the placement starts */
        while (i > 0) {
            uint8_t how = self->back[i * width + j];
            if (how != INS) i--;
            if (how != DEL) j--;
        }
        ops = PyTuple_New(0);
    } else {
        for (Py_ssize_t a = m, b = end; a > 0; count++) {  /* how many steps */
            uint8_t how = self->back[a * width + b];
            if (how != INS) a--;
            if (how != DEL) b--;
        }
        ops = PyTuple_New(count);
        while (ops != NULL && i > 0) {
            uint8_t how = self->back[i * width + j];
            PyObject *op;
            if (how == SUB) {
                op = make_op(self, self->sub_channel[(i - 1) * n + (j - 1)], PyTuple_GET_ITEM(texts, i - 1),
                             PyTuple_GET_ITEM(name->sources, j - 1), self->sub_cost[(i - 1) * n + (j - 1)]);
                i--; j--;
            } else if (how == DEL) {
                op = make_op(self, DELETED, PyTuple_GET_ITEM(texts, i - 1), self->empty, deletes[i - 1]);
                i--;
            } else {
                op = make_op(self, name->insert_channel[j - 1], self->empty, PyTuple_GET_ITEM(name->sources, j - 1),
                             inserts[j - 1]);
                j--;
            }
            if (op == NULL) { Py_CLEAR(ops); break; }
            PyTuple_SET_ITEM(ops, --count, op);  /* filled from the end: the walk goes backwards */
        }
    }
    if (ops == NULL) return NULL;
    PyTypeObject *type = (PyTypeObject *)self->alignment_type;
    PyObject *alignment = type->tp_alloc(type, 4);
    PyObject *cost = PyFloat_FromDouble(self->cost[m * width + end]);
    PyObject *first = PyLong_FromSsize_t(j), *last = PyLong_FromSsize_t(end);
    if (alignment == NULL || cost == NULL || first == NULL || last == NULL) {
        Py_XDECREF(alignment); Py_XDECREF(cost); Py_XDECREF(first); Py_XDECREF(last); Py_DECREF(ops);
        return NULL;
    }
    PyTuple_SET_ITEM(alignment, 0, cost);
    PyTuple_SET_ITEM(alignment, 1, first);
    PyTuple_SET_ITEM(alignment, 2, last);
    PyTuple_SET_ITEM(alignment, 3, ops);
    return alignment;
}

/* Costs.score, in the same order of operations. */
static inline double score_of(const Aligner *self, double cost, double budget) {
    double score = 1.0 - (1.0 - self->block_score) * cost / budget;
    score = score < 1.0 ? score : 1.0;
    return score > 0.0 ? score : 0.0;
}

/* The placements of one pattern in one name (see align_many), appended to `out` as Alignments: 0 on success, -1
 * with an exception.  `beaten`: when >= 0, the score of the nearest placement over budget found so far; a pattern
 * whose rows show it can neither come within `keep` (>= budget: Costs.near) nor score above that is left off. */
static int align_one(Aligner *self, const char *pattern, Py_ssize_t pattern_size, const double *deletes,
                     Py_ssize_t deletes_size, PyObject *texts, const Name *name, double budget, double keep,
                     int detail, double beaten, PyObject *out) {
    Py_ssize_t token_size = TOKEN_FIELDS * sizeof(int32_t);
    Py_ssize_t m = pattern_size / token_size, n = name->n;
    if (pattern_size % token_size || deletes_size != m * (Py_ssize_t)sizeof(double)) {
        PyErr_SetString(PyExc_ValueError, "align: token codes and cost arrays do not fit together");
        return -1;
    }
    if (!PyTuple_Check(texts) || PyTuple_GET_SIZE(texts) != m) {
        PyErr_SetString(PyExc_ValueError, "align: one text per pattern token");
        return -1;
    }
    if (ensure(self, (size_t)(m + 1) * (size_t)(n + 1) + 1) < 0) return -1;
    const int32_t *p = (const int32_t *)pattern, *t = name->codes;
    /* Inserting a copy of the previous character is decoration; shorter registry names take no insertions. */
    const double *inserts = name->inserts[m >= self->insert_min_length];
    Py_ssize_t width = n + 1;
    double *cost = self->cost;
    uint8_t *back = self->back;
    for (Py_ssize_t j = 0; j <= n; j++) { cost[j] = 0.0; back[j] = SUB; }
    for (Py_ssize_t i = 1; i <= m; i++) {
        const int32_t *expected = p + (i - 1) * TOKEN_FIELDS;
        uint64_t readings = id_bits(expected + 3), fuzzy = id_bits(expected + 3 + READINGS);
        double *s = self->sub_cost + (i - 1) * n;
        uint8_t *channel = self->sub_channel + (i - 1) * n;
        for (Py_ssize_t j = 0; j < n; j++)
            substitution(self, expected, t + j * TOKEN_FIELDS, readings & name->readings[j], fuzzy & name->fuzzy[j],
                         name->partnered[j], &s[j], &channel[j]);
        double *row = cost + i * width, *prev = cost + (i - 1) * width, d = deletes[i - 1];
        uint8_t *brow = back + i * width;
        row[0] = prev[0] + d;
        brow[0] = DEL;
        double lowest = row[0];
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
            if (best < lowest) lowest = best;
        }
        /* Costs only add up: every placement costs at least the cheapest cell of every row. */
        if (!detail && beaten >= 0.0 && lowest > keep + 1e-9 && score_of(self, lowest, budget) <= beaten) return 0;
    }
    const double *last = cost + m * width;
    Py_ssize_t best_end = 0;
    for (Py_ssize_t j = 1; j <= n; j++)
        if (last[j] <= last[best_end]) best_end = j;  /* the cheapest, the latest among equals */
    /* Steps of a placement over budget (which only says how near the name comes) are traced on request. */
    int with_ops = detail || last[best_end] <= budget + 1e-9;
    PyObject *first = trace(self, m, name, best_end, deletes, inserts, texts, with_ops);
    if (first == NULL) return -1;
    int failed = PyList_Append(out, first);
    Py_DECREF(first);
    if (failed < 0) return -1;
    /* Reaching the end of the name may cost a little more yet leave no unexplained tail. */
    if (best_end != n && last[n] <= budget) {
        PyObject *full = trace(self, m, name, n, deletes, inserts, texts, 1);
        if (full == NULL) return -1;
        failed = PyList_Append(out, full);
        Py_DECREF(full);
        if (failed < 0) return -1;
    }
    return 0;
}

/* Whether a placement over budget at [start, end) keeps at least half of the pattern's characters in place: the
 * same character at its offset from the placement's start or from its end.  Only such a placement can be one edit
 * from the pattern or read or look as it (decide.py); the others only compete to be the nearest. */
static int mostly_same(const int32_t *p, Py_ssize_t m, const Name *name, Py_ssize_t start, Py_ssize_t end) {
    const int32_t *t = name->codes;
    Py_ssize_t same = 0;
    for (Py_ssize_t k = 0; k < m; k++) {
        Py_ssize_t a = start + k, b = end - m + k;
        int32_t expected = p[k * TOKEN_FIELDS];
        same += (a < name->n && expected == t[a * TOKEN_FIELDS]) || (b >= 0 && expected == t[b * TOKEN_FIELDS]);
    }
    return 2 * same >= m;
}

/* align_many(patterns, name, sources, detail) -> the placements of the registry names `patterns` (each
 * (token codes, delete costs, budget, texts, keep)) inside the name that can decide something, as (pattern index,
 * Alignment), in this order: those within budget, and those over budget within `keep`
 * that keep most characters in place (mostly_same), without their steps, then of the rest the one with the best
 * score (first of equals), without its steps.  For each pattern the placements are the cheapest, and the cheapest
 * reaching the name's end when that is another one within budget.  With detail, every placement, with its steps. */
static PyObject *Aligner_align_many(Aligner *self, PyObject *args) {
    PyObject *patterns_obj, *sources;
    Py_buffer codes;
    int detail;
    if (!PyArg_ParseTuple(args, "Oy*O!p", &patterns_obj, &codes, &PyTuple_Type, &sources, &detail))
        return NULL;
    PyObject *found = NULL, *nearest = NULL, *placements = NULL, *near = NULL;
    double nearest_score = -1.0;
    Py_ssize_t longest = 0, *near_length = NULL;  /* the longest pattern within budget; each near one's length */
    Name name = {.codes = codes.buf, .n = codes.len / (Py_ssize_t)(TOKEN_FIELDS * sizeof(int32_t)),
                 .sources = sources};
    void *work = NULL;
    PyObject *patterns = PySequence_Fast(patterns_obj, "align_many: patterns must be a sequence");
    if (patterns == NULL) goto done;
    Py_ssize_t n = name.n;
    if (codes.len % (TOKEN_FIELDS * sizeof(int32_t)) || PyTuple_GET_SIZE(sources) != n) {
        PyErr_SetString(PyExc_ValueError, "align_many: one token code and source per name token");
        goto done;
    }
    work = PyMem_Malloc((n + 1) * (4 * sizeof(uint64_t) + 2));
    if (work == NULL) { PyErr_NoMemory(); goto done; }
    name.readings = work;
    name.fuzzy = name.readings + n + 1;
    name.inserts[0] = (double *)(name.fuzzy + n + 1);
    name.inserts[1] = name.inserts[0] + n + 1;
    name.insert_channel = (uint8_t *)(name.inserts[1] + n + 1);
    name.partnered = name.insert_channel + n + 1;
    for (Py_ssize_t j = 0; j < n; j++) {
        const int32_t *token = name.codes + j * TOKEN_FIELDS;
        name.readings[j] = id_bits(token + 3);
        name.fuzzy[j] = id_bits(token + 3 + READINGS);
        name.partnered[j] = map_get(&self->partnered, (uint32_t)token[0]) >= 0;
        if (j > 0 && token[1] == token[1 - TOKEN_FIELDS]) {  /* a copy of the previous character */
            name.inserts[0][j] = name.inserts[1][j] = self->repeat;
            name.insert_channel[j] = REPEATED;
        } else {
            int32_t filler = map_get(&self->fillers, (uint64_t)(uint32_t)token[0]);
            double fill = filler >= 0 ? self->filler_cost[filler] : -1.0;  /* as Scorer.fillers.get(text, -1.0) */
            name.inserts[0][j] = fill >= 0 ? fill : 1.0;
            name.inserts[1][j] = fill >= 0 ? fill : self->insert;
            name.insert_channel[j] = INSERTED;
        }
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(patterns);
    found = PyList_New(0);
    placements = PyList_New(0);
    near = PyList_New(0);
    near_length = PyMem_Malloc((2 * count + 1) * sizeof(Py_ssize_t));  /* at most two placements a pattern */
    if (near_length == NULL) { PyErr_NoMemory(); Py_CLEAR(found); }
    if (near == NULL) Py_CLEAR(found);
    for (Py_ssize_t k = 0; found != NULL && placements != NULL && k < count; k++) {
        /* (token codes, delete costs, budget, texts, keep), read directly: this runs for every candidate */
        PyObject *given = PySequence_Fast_GET_ITEM(patterns, k);
        if (!PyTuple_Check(given) || PyTuple_GET_SIZE(given) != 5 || !PyBytes_Check(PyTuple_GET_ITEM(given, 0))
            || !PyBytes_Check(PyTuple_GET_ITEM(given, 1)) || !PyFloat_Check(PyTuple_GET_ITEM(given, 2))
            || !PyFloat_Check(PyTuple_GET_ITEM(given, 4))) {
            PyErr_SetString(PyExc_TypeError, "align_many: a pattern is (bytes, bytes, float, tuple, float)");
            Py_CLEAR(found);
            break;
        }
        PyObject *codes_obj = PyTuple_GET_ITEM(given, 0), *deletes_obj = PyTuple_GET_ITEM(given, 1);
        double budget = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(given, 2));
        double keep = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(given, 4));
        int failed = align_one(self, PyBytes_AS_STRING(codes_obj), PyBytes_GET_SIZE(codes_obj),
                               (const double *)PyBytes_AS_STRING(deletes_obj), PyBytes_GET_SIZE(deletes_obj),
                               PyTuple_GET_ITEM(given, 3), &name, budget, keep, detail, nearest_score, placements);
        if (failed < 0) { Py_CLEAR(found); break; }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(placements); i++) {
            PyObject *placement = PyList_GET_ITEM(placements, i);
            double cost = PyFloat_AS_DOUBLE(PyTuple_GET_ITEM(placement, 0));
            Py_ssize_t m = PyBytes_GET_SIZE(codes_obj) / (Py_ssize_t)(TOKEN_FIELDS * sizeof(int32_t));
            int useful = detail || cost <= budget + 1e-9, is_near = 0;
            if (useful && !detail && m > longest) longest = m;
            if (!useful && cost <= keep + 1e-9) {  /* traced without steps (see align_one) */
                Py_ssize_t start = PyLong_AsSsize_t(PyTuple_GET_ITEM(placement, 1));
                Py_ssize_t end = PyLong_AsSsize_t(PyTuple_GET_ITEM(placement, 2));
                is_near = mostly_same((const int32_t *)PyBytes_AS_STRING(codes_obj), m, &name, start, end);
            }
            double score = 0.0;
            if (!useful && !is_near) {
                score = score_of(self, cost, budget);
                if (nearest != NULL && !(score > nearest_score)) continue;
            }
            PyObject *entry = Py_BuildValue("(nO)", k, placement);
            if (entry == NULL) { Py_CLEAR(found); break; }
            if (useful || is_near) {
                if (!useful) near_length[PyList_GET_SIZE(near)] = m;
                failed = PyList_Append(useful ? found : near, entry);
                Py_DECREF(entry);
                if (failed < 0) { Py_CLEAR(found); break; }
            } else {
                Py_XSETREF(nearest, entry);
                nearest_score = score;
            }
        }
        if (PyList_SetSlice(placements, 0, PY_SSIZE_T_MAX, NULL) < 0) Py_CLEAR(found);
    }
    /* Near placements of registry names no longer than one within budget decide nothing (decide.py judges what
     * changed only where no registry name of its own is placed): left out. */
    for (Py_ssize_t i = 0; found != NULL && i < PyList_GET_SIZE(near); i++)
        if (near_length[i] > longest && PyList_Append(found, PyList_GET_ITEM(near, i)) < 0) Py_CLEAR(found);
    if (found != NULL && nearest != NULL && PyList_Append(found, nearest) < 0) Py_CLEAR(found);
done:
    Py_XDECREF(patterns);
    Py_XDECREF(nearest);
    Py_XDECREF(placements);
    Py_XDECREF(near);
    PyMem_Free(near_length);
    PyMem_Free(work);
    PyBuffer_Release(&codes);
    return found;
}

static PyMethodDef Aligner_methods[] = {
    {"align_many", (PyCFunction)Aligner_align_many, METH_VARARGS,
     "align_many([(pattern, deletes, budget, texts, keep), ...], name, sources, detail) -> "
     "[(pattern index, Alignment), ...]: the placements that can decide something"},
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
    uint8_t *posting_fits;  /* per posting: its form's shortest (capped at 255), ascending within a key pair */
    int32_t *required;
    int32_t *length;
    int32_t *shortest;  /* per form: the fewest tokens a name needs to hold it within budget */
    Py_ssize_t forms;
    uint64_t *matched;  /* per form: the bit set of its pair positions seen in the current name */
    int32_t *touched;   /* forms with a non-zero entry in matched */
    Py_ssize_t max_candidates;
    PyObject *values;   /* a tuple: what search returns for each form id (the registry's forms) */
} Searcher;

static void Searcher_dealloc(Searcher *self) {
    Py_XDECREF(self->values);
    map_free(&self->pairs);
    PyMem_Free(self->offsets); PyMem_Free(self->posting_form); PyMem_Free(self->posting_bit);
    PyMem_Free(self->posting_fits);
    PyMem_Free(self->required); PyMem_Free(self->length); PyMem_Free(self->shortest); PyMem_Free(self->matched);
    PyMem_Free(self->touched);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static void *copy_of(const Py_buffer *view) {
    void *out = PyMem_Malloc(view->len ? view->len : 1);
    if (out != NULL) memcpy(out, view->buf, view->len);
    return out;
}

static int Searcher_init(Searcher *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"pairs", "offsets", "posting_forms", "posting_bits", "posting_fits", "required",
                             "lengths", "shortest", "max_candidates", "values", NULL};
    PyObject *objs[8], *values;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOOnO!", kwlist, &objs[0], &objs[1], &objs[2], &objs[3],
                                     &objs[4], &objs[5], &objs[6], &objs[7], &self->max_candidates, &PyTuple_Type,
                                     &values))
        return -1;
    if (self->max_candidates < 0) { PyErr_SetString(PyExc_ValueError, "Searcher: max_candidates < 0"); return -1; }
    static const Py_ssize_t sizes[8] = {8, 8, 4, 1, 1, 4, 4, 4};
    static const char *names[8] = {"pairs", "offsets", "posting_forms", "posting_bits", "posting_fits", "required",
                                   "lengths", "shortest"};
    Py_buffer views[8];
    int got = 0, status = -1;
    for (; got < 8; got++)
        if (buffer_of(objs[got], &views[got], sizes[got], names[got]) < 0) goto done;
    Py_ssize_t npairs = views[0].len / 8, npostings = views[2].len / 4;
    self->forms = views[5].len / 4;
    if (views[1].len / 8 != npairs + 1 || views[3].len != npostings || views[4].len != npostings
        || views[6].len / 4 != self->forms || views[7].len / 4 != self->forms
        || PyTuple_GET_SIZE(values) != self->forms) {
        PyErr_SetString(PyExc_ValueError, "Searcher: index arrays differ in length");
        goto done;
    }
    const int64_t *offsets = views[1].buf;
    for (Py_ssize_t k = 0; k < npairs; k++)
        if (offsets[k] < 0 || offsets[k] > offsets[k + 1] || offsets[k + 1] > npostings) {
            PyErr_SetString(PyExc_ValueError, "Searcher: offsets out of order");
            goto done;
        }
    const int32_t *forms = views[2].buf, *shortest = views[7].buf;
    const uint8_t *fits = views[4].buf;
    for (Py_ssize_t k = 0; k < npostings; k++)
        if (forms[k] < 0 || forms[k] >= self->forms || ((const uint8_t *)views[3].buf)[k] > 63) {
            PyErr_SetString(PyExc_ValueError, "Searcher: a posting names no form or a pair position beyond 63");
            goto done;
        }
    /* The walk stops at the first posting a name is too short for, and skips a key pair by its slot's fits: a
     * posting's fits must be its form's shortest (capped), ascending within each key pair. */
    for (Py_ssize_t k = 0; k < npairs; k++)
        for (int64_t q = offsets[k]; q < offsets[k + 1]; q++)
            if (fits[q] != (shortest[forms[q]] < 255 ? shortest[forms[q]] : 255)
                || (q > offsets[k] && fits[q] < fits[q - 1])) {
                PyErr_SetString(PyExc_ValueError, "Searcher: posting fits differ from the forms' shortest or descend");
                goto done;
            }
    Py_INCREF(values);
    Py_XSETREF(self->values, values);
    if (map_init(&self->pairs, (size_t)npairs) < 0) { PyErr_NoMemory(); goto done; }
    const uint64_t *keys = views[0].buf;
    for (Py_ssize_t k = 0; k < npairs; k++)
        map_put(&self->pairs, keys[k], (int32_t)k)->fits = offsets[k] < offsets[k + 1] ? fits[offsets[k]] : 255;
    self->offsets = copy_of(&views[1]);
    self->posting_form = copy_of(&views[2]);
    self->posting_bit = copy_of(&views[3]);
    self->posting_fits = copy_of(&views[4]);
    self->required = copy_of(&views[5]);
    self->length = copy_of(&views[6]);
    self->shortest = copy_of(&views[7]);
    self->matched = PyMem_Calloc(self->forms + 1, sizeof(uint64_t));
    self->touched = PyMem_Malloc((self->forms + 1) * sizeof(int32_t));
    if (!self->offsets || !self->posting_form || !self->posting_bit || !self->posting_fits || !self->required
        || !self->length || !self->shortest || !self->matched || !self->touched) { PyErr_NoMemory(); goto done; }
    status = 0;
done:
    for (int k = 0; k < got; k++) PyBuffer_Release(&views[k]);
    return status;
}

/* -- walking the postings of a name's key pairs, a batch at a time --------------------------------------------- */
/* With 100,000 custom names the index is tens of megabytes and nearly every lookup a cache miss: the key pair's
 * slot, its offsets, its first postings.  A name's lookups do not depend on one another, so a batch of them is
 * fetched stage by stage (slots, then offsets, then postings) and the misses overlap instead of queueing. */
#define WALK_BATCH 64

typedef struct {
    Searcher *index;
    uint64_t pairs[WALK_BATCH];  /* key pairs waiting */
    Py_ssize_t n;
    Py_ssize_t touched;          /* forms touched so far (index->touched[0 .. touched)) */
    Py_ssize_t tokens;           /* the name's: postings of forms it cannot hold (shortest > tokens) are skipped */
} Walk;

static void walk_flush(Walk *walk) {
    Searcher *index = walk->index;
    const Map *map = &index->pairs;
    size_t slot[WALK_BATCH];
    int32_t found[WALK_BATCH];
    Py_ssize_t n = walk->n, hits = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        slot[j] = mix(walk->pairs[j]) & map->mask;
        __builtin_prefetch(&map->slots[slot[j]]);
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        const MapSlot *pair = map_find(map, walk->pairs[j], slot[j]);
        if (pair == NULL || pair->fits > walk->tokens) continue;  /* every form of the pair too long for the name */
        found[hits++] = pair->value;
        __builtin_prefetch(&index->offsets[pair->value]);
    }
    for (Py_ssize_t h = 0; h < hits; h++) {
        __builtin_prefetch(&index->posting_fits[index->offsets[found[h]]]);
        __builtin_prefetch(&index->posting_form[index->offsets[found[h]]]);
        __builtin_prefetch(&index->posting_bit[index->offsets[found[h]]]);
    }
    uint64_t *matched = index->matched;
    Py_ssize_t tokens = walk->tokens;
    for (Py_ssize_t h = 0; h < hits; h++)
        for (int64_t q = index->offsets[found[h]]; q < index->offsets[found[h] + 1]; q++) {
            if (index->posting_fits[q] > tokens) break;  /* and so are the rest of this key pair's */
            int32_t form = index->posting_form[q];
            if (matched[form] == 0) index->touched[walk->touched++] = form;
            matched[form] |= (uint64_t)1 << index->posting_bit[q];
        }
    walk->n = 0;
}

static inline void walk_start(Walk *walk, Searcher *index, Py_ssize_t tokens) {  /* its batch is not zeroed */
    walk->index = index;
    walk->n = walk->touched = 0;
    walk->tokens = tokens;
}

static inline void walk_add(Walk *walk, uint64_t pair) {
    walk->pairs[walk->n++] = pair;
    if (walk->n == WALK_BATCH) walk_flush(walk);
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

/* search(keys) with keys a sequence (one per token) of sequences of key ids -> the ranked forms (from values). */
static PyObject *Searcher_search(Searcher *self, PyObject *keys_obj) {
    PyObject *seq = PySequence_Fast(keys_obj, "search: expected a sequence of key tuples");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Walk walk;
    walk_start(&walk, self, n);
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
                    walk_add(&walk, pair_key(a, b));
                }
            }
            Py_DECREF(previous);
        }
        previous = current;
    }
    Py_CLEAR(previous);
    walk_flush(&walk);
    Py_ssize_t touched = walk.touched;
    /* Only the best max_candidates are kept: selected as they come (a common pair such as 电视 touches hundreds
     * of registry names), in by_rank's order. */
    Py_ssize_t limit = self->max_candidates, count = 0;
    scored = PyMem_Malloc((limit + 1) * sizeof(Scored));
    if (scored == NULL) { PyErr_NoMemory(); goto fail; }
    for (Py_ssize_t t = 0; t < touched; t++) {
        int32_t form = self->touched[t];
        int hits = __builtin_popcountll(self->matched[form]);
        if (hits < self->required[form] || n < self->shortest[form]) continue;
        Scored entry = {(double)hits / (double)(self->length[form] - 1), self->length[form], form};
        Py_ssize_t at = count;
        while (at > 0 && by_rank(&entry, &scored[at - 1]) < 0) at--;
        if (at >= limit) continue;
        Py_ssize_t end = count < limit ? count : limit - 1;
        memmove(&scored[at + 1], &scored[at], (end - at) * sizeof(Scored));
        scored[at] = entry;
        if (count < limit) count++;
    }
    /* Names sharing less than half as much of their pairs as the best candidate are not worth an alignment. */
    double floor = count ? scored[0].ratio * 0.5 : 0.0;
    result = PyList_New(0);
    for (Py_ssize_t c = 0; result != NULL && c < count; c++) {
        if (scored[c].ratio < floor) continue;
        if (PyList_Append(result, PyTuple_GET_ITEM(self->values, scored[c].form)) < 0) Py_CLEAR(result);
    }
fail:
    Py_XDECREF(previous);
    for (Py_ssize_t t = 0; t < walk.touched; t++) self->matched[self->touched[t]] = 0;
    PyMem_Free(scored);
    Py_DECREF(seq);
    return result;
}

static PyMethodDef Searcher_methods[] = {
    {"search", (PyCFunction)Searcher_search, METH_O, "search(keys per token) -> ranked candidate form ids"},
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

/* -- the screen: names that certainly hold nothing, told from the raw text ------------------------------------- */
/* It rebuilds a name's tokens the way normalize.Normalizer does, from what the Python side taught it: characters
 * that are one token, characters that fold to nothing, characters that fold to one Latin letter, and how a run of
 * letters reads (pinyin syllables, else letters).  A name with any character it was not taught takes the full
 * path.  Then it asks what candidates.CandidateIndex and Detector._initials would find: a word of the vocabulary in
 * the variant text, initials of a registry name, or a registry name sharing enough key pairs. */
enum { KIND_HAN, KIND_SEPARATOR, KIND_OTHER };
#define UNKNOWN (-1)
#define DROPPED (-2)
#define LETTER (-3)         /* LETTER - k: the character folds to the k-th letter a..z */
#define MAX_SCREENED 256    /* normalize.MAX_NAME_CHARS: longer names are never screened */
#define MAX_WORD 32
#define MAX_PINYIN_RUN 64   /* normalize.Normalizer.segment_pinyin reads no longer run as pinyin */
#define MAX_SYLLABLE 12     /* 5 bits a letter in a uint64 */
#define CHAR_SLOTS (1 << 17)
#define WORD_SEED 0xcbf29ce484222325ULL

static inline uint64_t word_step(uint64_t hash, Py_UCS4 cp) { return (hash ^ cp) * 0x100000001b3ULL; }

typedef struct {
    PyObject_HEAD
    Searcher *searcher;
    Map chars;                     /* code point -> entry, DROPPED or LETTER - k */
    Py_ssize_t nmapped;
    /* entries: the tokens a name can be made of (one-token characters, letters, syllables) */
    Py_ssize_t nentries, entries_capacity;
    uint8_t *kind;
    int32_t *key_start;            /* keys of entry e: keys[key_start[e] .. key_start[e + 1]) */
    int32_t *text_start;           /* variant text of entry e: text[text_start[e] .. text_start[e + 1]) */
    int32_t *keys;
    Py_ssize_t nkeys, keys_capacity;
    Py_UCS4 *text;
    Py_ssize_t ntext, text_capacity;
    int32_t letter[26];            /* entry of the Latin-letter token of each letter, -1 if untaught */
    Map syllables;                 /* packed letters -> entry */
    Py_ssize_t nsyllables, max_syllable;
    Map initials;                  /* hashes of the letter runs that spell a registry name's initials */
    Py_ssize_t ninitials;
    Map words;                     /* hashes of the vocabulary's words */
    Py_ssize_t nwords, max_word;
    uint8_t word_length[MAX_WORD + 1];
} Screen;

static int grow(void **array, Py_ssize_t *capacity, Py_ssize_t needed, size_t item) {
    if (needed <= *capacity) return 0;
    Py_ssize_t target = needed * 2 + 16;
    void *grown = PyMem_Realloc(*array, (size_t)target * item);
    if (grown == NULL) { PyErr_NoMemory(); return -1; }
    *array = grown;
    *capacity = target;
    return 0;
}

/* A hash set that grows (values unused). */
static int set_add(Map *map, Py_ssize_t *count, uint64_t key) {
    if (map_reserve(map, *count) < 0) { PyErr_NoMemory(); return -1; }
    if (map_get(map, key) == -1) { map_put(map, key, 0); (*count)++; }
    return 0;
}

static uint64_t text_hash(PyObject *text) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    uint64_t hash = WORD_SEED;
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(text); i++) hash = word_step(hash, PyUnicode_READ(kind, data, i));
    return hash;
}

static int Screen_init(Screen *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"searcher", NULL};
    PyObject *searcher;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!", kwlist, &SearcherType, &searcher)) return -1;
    Py_INCREF(searcher);
    Py_XSETREF(self->searcher, (Searcher *)searcher);
    if (map_init(&self->chars, 1024) < 0 || map_init(&self->syllables, 512) < 0
        || map_init(&self->initials, 512) < 0 || map_init(&self->words, 1024) < 0) { PyErr_NoMemory(); return -1; }
    for (int k = 0; k < 26; k++) self->letter[k] = -1;
    if (grow((void **)&self->key_start, &self->entries_capacity, 1, sizeof(int32_t)) < 0) return -1;
    self->text_start = PyMem_Malloc(self->entries_capacity * sizeof(int32_t));
    self->kind = PyMem_Malloc(self->entries_capacity);
    if (!self->text_start || !self->kind) { PyErr_NoMemory(); return -1; }
    self->key_start[0] = self->text_start[0] = 0;
    return 0;
}

static void Screen_dealloc(Screen *self) {
    Py_XDECREF(self->searcher);
    map_free(&self->chars); map_free(&self->syllables); map_free(&self->initials); map_free(&self->words);
    PyMem_Free(self->kind); PyMem_Free(self->key_start); PyMem_Free(self->text_start); PyMem_Free(self->keys);
    PyMem_Free(self->text);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A new entry: a token of `kind` with variant text `text` and search keys `keys_obj`; returns its index or -1. */
static int32_t add_entry(Screen *self, int kind, PyObject *text, PyObject *keys_obj) {
    if (!PyUnicode_Check(text)) { PyErr_SetString(PyExc_TypeError, "a token's text must be a str"); return -1; }
    PyObject *keys = PySequence_Fast(keys_obj, "a token's keys must be a sequence");
    if (keys == NULL) return -1;
    Py_ssize_t nk = PySequence_Fast_GET_SIZE(keys), nt = PyUnicode_GET_LENGTH(text), e = self->nentries;
    Py_ssize_t capacity = self->entries_capacity;
    if (grow((void **)&self->keys, &self->keys_capacity, self->nkeys + nk, sizeof(int32_t)) < 0
        || grow((void **)&self->text, &self->text_capacity, self->ntext + nt, sizeof(Py_UCS4)) < 0
        || grow((void **)&self->key_start, &capacity, e + 2, sizeof(int32_t)) < 0) { Py_DECREF(keys); return -1; }
    if (capacity != self->entries_capacity) {
        int32_t *text_start = PyMem_Realloc(self->text_start, capacity * sizeof(int32_t));
        if (text_start) self->text_start = text_start;
        uint8_t *kinds = PyMem_Realloc(self->kind, capacity);
        if (kinds) self->kind = kinds;
        if (!text_start || !kinds) { Py_DECREF(keys); PyErr_NoMemory(); return -1; }
        self->entries_capacity = capacity;
    }
    for (Py_ssize_t k = 0; k < nk; k++) {
        long key = PyLong_AsLong(PySequence_Fast_GET_ITEM(keys, k));
        if (key == -1 && PyErr_Occurred()) { Py_DECREF(keys); return -1; }
        self->keys[self->nkeys + k] = (int32_t)key;
    }
    Py_DECREF(keys);
    int ukind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < nt; i++) self->text[self->ntext + i] = PyUnicode_READ(ukind, data, i);
    self->nkeys += nk;
    self->ntext += nt;
    self->kind[e] = (uint8_t)kind;
    self->key_start[e + 1] = (int32_t)self->nkeys;
    self->text_start[e + 1] = (int32_t)self->ntext;
    self->nentries++;
    return (int32_t)e;
}

static int letter_of(PyObject *text) {
    if (!PyUnicode_Check(text) || PyUnicode_GET_LENGTH(text) != 1) return -1;
    Py_UCS4 c = PyUnicode_READ_CHAR(text, 0);
    return c >= 'a' && c <= 'z' ? (int)(c - 'a') : -1;
}

static int syllable_code(const int8_t *letters, Py_ssize_t n, uint64_t *code) {
    if (n < 1 || n > MAX_SYLLABLE) return -1;
    uint64_t packed = 0;
    for (Py_ssize_t i = 0; i < n; i++) packed = packed << 5 | (uint64_t)(letters[i] + 1);
    *code = packed;
    return 0;
}

/* add_char(char, kind, text, keys): `char` is one token; kind -1: it folds to nothing; kind -2: to the letter `text`. */
static PyObject *Screen_add_char(Screen *self, PyObject *args) {
    int cp, kind;
    PyObject *text, *keys;
    if (!PyArg_ParseTuple(args, "iiUO", &cp, &kind, &text, &keys)) return NULL;
    if (map_get(&self->chars, (uint64_t)cp) != UNKNOWN || self->nmapped >= CHAR_SLOTS / 2) Py_RETURN_NONE;
    int32_t value;
    if (kind == -1) value = DROPPED;
    else if (kind == -2) {
        int k = letter_of(text);
        if (k < 0) { PyErr_SetString(PyExc_ValueError, "add_char: a letter must be one of a..z"); return NULL; }
        value = LETTER - k;
    } else if (kind >= KIND_HAN && kind <= KIND_OTHER) {
        value = add_entry(self, kind, text, keys);
        if (value < 0) return NULL;
    } else {
        PyErr_SetString(PyExc_ValueError, "add_char: unknown kind");
        return NULL;
    }
    /* Grown as characters are taught (a few thousand): a small map stays in cache, and every character of every
     * screened name is looked up in it. */
    if (map_reserve(&self->chars, self->nmapped) < 0) return PyErr_NoMemory();
    map_put(&self->chars, (uint64_t)cp, value);
    self->nmapped++;
    Py_RETURN_NONE;
}

/* add_letter(letter, keys): the token a letter is when its run is not pinyin. */
static PyObject *Screen_add_letter(Screen *self, PyObject *args) {
    PyObject *text, *keys;
    if (!PyArg_ParseTuple(args, "UO", &text, &keys)) return NULL;
    int k = letter_of(text);
    if (k < 0) { PyErr_SetString(PyExc_ValueError, "add_letter: one of a..z"); return NULL; }
    int32_t e = add_entry(self, KIND_SEPARATOR, text, keys);
    if (e < 0) return NULL;
    self->letter[k] = e;
    Py_RETURN_NONE;
}

static int letters_of(PyObject *text, int8_t *out, Py_ssize_t max) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (n > max) return -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(text, i);
        if (c < 'a' || c > 'z') return -1;
        out[i] = (int8_t)(c - 'a');
    }
    return (int)n;
}

/* add_syllable(syllable, keys): a pinyin syllable and the search keys of its token. */
static PyObject *Screen_add_syllable(Screen *self, PyObject *args) {
    PyObject *text, *keys;
    if (!PyArg_ParseTuple(args, "UO", &text, &keys)) return NULL;
    int8_t letters[MAX_SYLLABLE];
    int n = letters_of(text, letters, MAX_SYLLABLE);
    uint64_t code;
    if (n < 1 || syllable_code(letters, n, &code) < 0) {
        PyErr_Format(PyExc_ValueError, "add_syllable: 1 to %d letters a..z", MAX_SYLLABLE);
        return NULL;
    }
    int32_t e = add_entry(self, KIND_SEPARATOR, text, keys);
    if (e < 0) return NULL;
    if (map_reserve(&self->syllables, self->nsyllables) < 0) return PyErr_NoMemory();
    if (map_get(&self->syllables, code) == -1) self->nsyllables++;
    map_put(&self->syllables, code, e);
    if (n > self->max_syllable) self->max_syllable = n;
    Py_RETURN_NONE;
}

static PyObject *Screen_add_initials(Screen *self, PyObject *text) {
    if (!PyUnicode_Check(text)) { PyErr_SetString(PyExc_TypeError, "add_initials: expected a str"); return NULL; }
    if (set_add(&self->initials, &self->ninitials, text_hash(text)) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *Screen_add_word(Screen *self, PyObject *word) {
    if (!PyUnicode_Check(word)) { PyErr_SetString(PyExc_TypeError, "add_word: expected a str"); return NULL; }
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    if (n < 2 || n > MAX_WORD) { PyErr_Format(PyExc_ValueError, "add_word: 2 to %d characters", MAX_WORD); return NULL; }
    if (set_add(&self->words, &self->nwords, text_hash(word)) < 0) return NULL;
    self->word_length[n] = 1;
    if (n > self->max_word) self->max_word = n;
    Py_RETURN_NONE;
}

typedef struct {
    int32_t entry[MAX_SCREENED];
    uint8_t source[MAX_SCREENED];  /* characters the token came from (for the interleaving rule) */
    Py_ssize_t n;
} Tokens;

/* A complete run of letters as tokens (Normalizer._latin_tokens); 0 = fine, 1 = the name needs the full path. */
static int flush_run(const Screen *self, const int8_t *run, Py_ssize_t n, Tokens *tokens) {
    int16_t count[MAX_PINYIN_RUN + 1], previous[MAX_PINYIN_RUN + 1];
    int pinyin = 0;
    if (n <= MAX_PINYIN_RUN) {
        /* Fewest syllables; among equals, the first found (segment_pinyin's order). */
        for (Py_ssize_t i = 0; i <= n; i++) count[i] = -1;
        count[0] = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (count[i] < 0) continue;
            int16_t next = count[i] + 1;
            Py_ssize_t top = i + self->max_syllable < n ? i + self->max_syllable : n;
            for (Py_ssize_t j = top; j > i; j--) {
                uint64_t code;
                if (syllable_code(run + i, j - i, &code) < 0 || map_get(&self->syllables, code) < 0) continue;
                if (count[j] < 0 || count[j] > next) { count[j] = next; previous[j] = (int16_t)i; }
            }
        }
        pinyin = count[n] >= 0;
    }
    if (pinyin) {
        Py_ssize_t cuts[MAX_PINYIN_RUN + 1], ncuts = 0;
        for (Py_ssize_t j = n; j > 0; j = previous[j]) cuts[ncuts++] = j;
        Py_ssize_t start = 0;
        for (Py_ssize_t c = ncuts - 1; c >= 0; c--) {
            uint64_t code;
            syllable_code(run + start, cuts[c] - start, &code);
            tokens->entry[tokens->n] = map_get(&self->syllables, code);
            tokens->source[tokens->n++] = (uint8_t)(cuts[c] - start);
            start = cuts[c];
        }
        return 0;
    }
    uint64_t hash = WORD_SEED;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t e = self->letter[run[i]];
        if (e < 0) return 1;
        tokens->entry[tokens->n] = e;
        tokens->source[tokens->n++] = 1;
        hash = word_step(hash, (Py_UCS4)('a' + run[i]));
    }
    /* Letters that are not pinyin may be a registry name's initials (RMRB). */
    return n >= 3 && map_get(&self->initials, hash) != -1;
}

/* screen(name) -> True when `name` certainly holds no candidate registry name, no initials and no word of the
 * vocabulary (its verdict is a plain pass); False when it must take the full path. */
static PyObject *Screen_screen(Screen *self, PyObject *name) {
    if (!PyUnicode_Check(name)) { PyErr_SetString(PyExc_TypeError, "screen: expected a str"); return NULL; }
    Py_ssize_t length = PyUnicode_GET_LENGTH(name);
    if (length > MAX_SCREENED) Py_RETURN_FALSE;
    int kind = PyUnicode_KIND(name);
    const void *data = PyUnicode_DATA(name);
    Tokens tokens;
    tokens.n = 0;
    int8_t run[MAX_SCREENED];
    Py_ssize_t nrun = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        int32_t v = map_get(&self->chars, (uint64_t)PyUnicode_READ(kind, data, i));
        if (v == UNKNOWN) Py_RETURN_FALSE;
        if (v == DROPPED) continue;  /* it does not end a run of letters either */
        if (v <= LETTER) { run[nrun++] = (int8_t)(LETTER - v); continue; }
        if (nrun) {
            if (flush_run(self, run, nrun, &tokens)) Py_RETURN_FALSE;
            nrun = 0;
        }
        tokens.entry[tokens.n] = v;
        tokens.source[tokens.n++] = 1;
    }
    if (nrun && flush_run(self, run, nrun, &tokens)) Py_RETURN_FALSE;
    Py_ssize_t n = tokens.n;
    const int32_t *entry = tokens.entry;
    /* Single letters or digits interleaved with Han characters are dropped by the normalizer: full path. */
    int interleaved = 0;
    for (Py_ssize_t i = 1; i + 1 < n; i++)
        if (self->kind[entry[i]] == KIND_SEPARATOR && tokens.source[i] == 1 && self->kind[entry[i - 1]] == KIND_HAN
            && self->kind[entry[i + 1]] == KIND_HAN)
            interleaved++;
    if (interleaved >= 2) Py_RETURN_FALSE;
    /* Words of the vocabulary anywhere in the variant text (hash hits only send a name on: never wrong). */
    Py_UCS4 text[MAX_SCREENED * MAX_SYLLABLE];
    Py_ssize_t ntext = 0;
    for (Py_ssize_t t = 0; t < n; t++)
        for (int32_t c = self->text_start[entry[t]]; c < self->text_start[entry[t] + 1]; c++)
            text[ntext++] = self->text[c];
    for (Py_ssize_t i = 0; i + 1 < ntext; i++) {
        uint64_t hash = WORD_SEED;
        for (Py_ssize_t len = 1; len <= self->max_word && i + len <= ntext; len++) {
            hash = word_step(hash, text[i + len - 1]);
            if (len >= 2 && self->word_length[len] && map_get(&self->words, hash) != -1) Py_RETURN_FALSE;
        }
    }
    /* Registry names sharing enough key pairs (CandidateIndex.search finds at least one). */
    Searcher *index = self->searcher;
    Walk walk;
    walk_start(&walk, index, n);
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        const int32_t *a = self->keys + self->key_start[entry[i]], *a_end = self->keys + self->key_start[entry[i] + 1];
        const int32_t *b0 = self->keys + self->key_start[entry[i + 1]];
        const int32_t *b_end = self->keys + self->key_start[entry[i + 1] + 1];
        for (; a < a_end; a++)
            for (const int32_t *b = b0; b < b_end; b++) walk_add(&walk, pair_key(*a, *b));
    }
    walk_flush(&walk);
    int found = 0;
    for (Py_ssize_t t = 0; t < walk.touched; t++) {
        int32_t form = index->touched[t];
        if (__builtin_popcountll(index->matched[form]) >= index->required[form] && n >= index->shortest[form])
            found = 1;
        index->matched[form] = 0;
    }
    if (found) Py_RETURN_FALSE;
    Py_RETURN_TRUE;
}

/* word_spans(text) -> [(start, end)] where a word of the vocabulary may be (by hash: the caller checks), in the
 * order CandidateIndex.words looks: by start, longest first. */
static PyObject *Screen_word_spans(Screen *self, PyObject *text) {
    if (!PyUnicode_Check(text)) { PyErr_SetString(PyExc_TypeError, "word_spans: expected a str"); return NULL; }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *spans = PyList_New(0);
    if (spans == NULL) return NULL;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        uint64_t hash = WORD_SEED;
        Py_ssize_t ends[MAX_WORD + 1], found = 0;
        for (Py_ssize_t len = 1; len <= self->max_word && i + len <= n; len++) {
            hash = word_step(hash, PyUnicode_READ(kind, data, i + len - 1));
            if (len >= 2 && self->word_length[len] && map_get(&self->words, hash) != -1) ends[found++] = i + len;
        }
        while (found > 0) {
            PyObject *span = Py_BuildValue("(nn)", i, ends[--found]);
            if (span == NULL || PyList_Append(spans, span) < 0) { Py_XDECREF(span); Py_DECREF(spans); return NULL; }
            Py_DECREF(span);
        }
    }
    return spans;
}

static PyMethodDef Screen_methods[] = {
    {"word_spans", (PyCFunction)Screen_word_spans, METH_O,
     "word_spans(text) -> [(start, end)]: where words of the vocabulary may be, by start, longest first"},
    {"add_char", (PyCFunction)Screen_add_char, METH_VARARGS,
     "add_char(char, kind, text, keys): a character that is one token (kind 0 Han, 1 separator, 2 other), "
     "nothing (kind -1) or the Latin letter `text` (kind -2)"},
    {"add_letter", (PyCFunction)Screen_add_letter, METH_VARARGS, "add_letter(letter, keys): a letter's token"},
    {"add_syllable", (PyCFunction)Screen_add_syllable, METH_VARARGS, "add_syllable(syllable, keys)"},
    {"add_initials", (PyCFunction)Screen_add_initials, METH_O, "add_initials(letters): initials of a registry name"},
    {"add_word", (PyCFunction)Screen_add_word, METH_O, "add_word(word): a word of the vocabulary"},
    {"screen", (PyCFunction)Screen_screen, METH_O,
     "screen(name) -> True when the name certainly holds nothing: no candidate, initials or word"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject ScreenType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "impostor._kernel.Screen",
    .tp_basicsize = sizeof(Screen),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Tells names that hold nothing from the raw text (see candidates.CandidateIndex.plain).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Screen_init,
    .tp_dealloc = (destructor)Screen_dealloc,
    .tp_methods = Screen_methods,
};

/* -- output rows ----------------------------------------------------------------------------------------------- */
/* The decimal digits of number at out (at most 20 characters); returns how many (snprintf's formatting machinery
 * costs more than the rest of a row). */
static int write_number(char *out, long long number) {
    char digits[20];
    int n = 0, negative = number < 0;
    unsigned long long rest = negative ? 0ULL - (unsigned long long)number : (unsigned long long)number;
    do { digits[n++] = (char)('0' + rest % 10); rest /= 10; } while (rest);
    int length = n + negative;
    if (negative) *out++ = '-';
    while (n) *out++ = digits[--n];
    return length;
}

/* join_rows(head, numbers, sep, texts, tail) -> head + str(numbers[i]) + sep + texts[i] + tail for every i, as one
 * bytes object: the JSONL rows of a scan chunk (rows.jsonl_rows), already UTF-8, without an object per row. */
static PyObject *join_rows(PyObject *self, PyObject *args) {
    Py_buffer head, sep, tail;
    PyObject *numbers, *texts, *result = NULL;
    if (!PyArg_ParseTuple(args, "y*O!y*O!y*", &head, &PyList_Type, &numbers, &sep, &PyList_Type, &texts, &tail))
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(texts);
    Py_ssize_t total = (head.len + sep.len + tail.len + 20) * n;  /* 20: the most digits of a 64-bit number */
    if (PyList_GET_SIZE(numbers) != n) {
        PyErr_SetString(PyExc_ValueError, "join_rows: numbers and texts differ in length");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        if (!PyBytes_Check(text) || !PyLong_Check(PyList_GET_ITEM(numbers, i))) {
            PyErr_SetString(PyExc_TypeError, "join_rows: numbers must be ints and texts bytes");
            goto done;
        }
        total += PyBytes_GET_SIZE(text);
    }
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) goto done;
    char *out = PyBytes_AS_STRING(result), *at = out;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *text = PyList_GET_ITEM(texts, i);
        long long number = PyLong_AsLongLong(PyList_GET_ITEM(numbers, i));
        if (number == -1 && PyErr_Occurred()) { Py_CLEAR(result); goto done; }
        memcpy(at, head.buf, head.len); at += head.len;
        at += write_number(at, number);
        memcpy(at, sep.buf, sep.len); at += sep.len;
        memcpy(at, PyBytes_AS_STRING(text), PyBytes_GET_SIZE(text)); at += PyBytes_GET_SIZE(text);
        memcpy(at, tail.buf, tail.len); at += tail.len;
    }
    _PyBytes_Resize(&result, at - out);
done:
    PyBuffer_Release(&head);
    PyBuffer_Release(&sep);
    PyBuffer_Release(&tail);
    return result;
}

/* -- the line table of a scan's line path (lines.py) ----------------------------------------------------------- */
/* Each distinct line (its bytes less any \r at its end: the key) gets an id, in order of first appearance, and,
 * once screened, its row tail (bytes, or None where the row is not written) and kind.  Keys live in one arena and
 * the table holds (hash, id) pairs: looking a line up costs no Python object, and a block's rows are made from the
 * ids its claim returned, without a second lookup. */
typedef struct {
    uint64_t hash;
    uint64_t key_at;      /* where the key starts in the arena */
    uint32_t id;          /* id + 1, 0 where the slot is empty */
    uint32_t key_length;
} LineSlot;               /* all a lookup reads, but the key's bytes: one cache line */

typedef struct {
    PyObject *tail;       /* bytes, Py_None (its rows are not written), NULL until filled */
    int32_t kind;
} LineRow;

typedef struct {
    PyObject_HEAD
    LineSlot *slots;
    size_t mask;
    char *arena;          /* the keys' bytes, one after another */
    size_t arena_used, arena_size;
    LineRow *rows;        /* per id */
    Py_ssize_t count, capacity;  /* ids */
} LineTable;

static int LineTable_init(LineTable *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "", keywords)) return -1;
    if (self->slots != NULL) { PyErr_SetString(PyExc_RuntimeError, "LineTable: already initialised"); return -1; }
    self->mask = (1 << 12) - 1;
    self->slots = PyMem_Calloc(self->mask + 1, sizeof(LineSlot));
    if (self->slots == NULL) { PyErr_NoMemory(); return -1; }
    return 0;
}

static void LineTable_dealloc(LineTable *self) {
    for (Py_ssize_t id = 0; id < self->count; id++) Py_XDECREF(self->rows[id].tail);
    PyMem_Free(self->slots); PyMem_Free(self->arena); PyMem_Free(self->rows);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static inline uint64_t bytes_hash(const char *data, size_t length) {
    uint64_t h = WORD_SEED;  /* the words' FNV-1a over bytes, then mixed: keys are short */
    for (size_t i = 0; i < length; i++) h = word_step(h, (unsigned char)data[i]);
    return mix(h ^ length);
}

/* Room for one more id, and a table at most half full. */
static int line_table_grow(LineTable *self, size_t key_length) {
    if (self->count == self->capacity) {
        Py_ssize_t capacity = self->capacity ? 2 * self->capacity : 4096;
        LineRow *rows = PyMem_Realloc(self->rows, capacity * sizeof(LineRow));
        if (rows == NULL) { PyErr_NoMemory(); return -1; }
        self->rows = rows;
        self->capacity = capacity;
    }
    if (self->arena_used + key_length > self->arena_size) {
        size_t size = self->arena_size ? 2 * self->arena_size : 1 << 16;
        while (size < self->arena_used + key_length) size *= 2;
        char *arena = PyMem_Realloc(self->arena, size);
        if (arena == NULL) { PyErr_NoMemory(); return -1; }
        self->arena = arena;
        self->arena_size = size;
    }
    if ((size_t)(self->count + 1) * 2 > self->mask + 1) {
        size_t mask = 2 * (self->mask + 1) - 1;
        LineSlot *slots = PyMem_Calloc(mask + 1, sizeof(LineSlot));
        if (slots == NULL) { PyErr_NoMemory(); return -1; }
        for (size_t i = 0; i <= self->mask; i++) {
            if (self->slots[i].id == 0) continue;
            size_t j = self->slots[i].hash & mask;
            while (slots[j].id != 0) j = (j + 1) & mask;
            slots[j] = self->slots[i];
        }
        PyMem_Free(self->slots);
        self->slots = slots;
        self->mask = mask;
    }
    return 0;
}

/* The id of key, added (unfilled) when new: *added tells which; -1 on error. */
static Py_ssize_t line_table_id(LineTable *self, const char *key, size_t length, int *added) {
    uint64_t h = bytes_hash(key, length);
    size_t i = h & self->mask;
    for (; self->slots[i].id != 0; i = (i + 1) & self->mask) {
        const LineSlot *slot = &self->slots[i];
        if (slot->hash == h && slot->key_length == length && memcmp(self->arena + slot->key_at, key, length) == 0) {
            *added = 0;
            return slot->id - 1;
        }
    }
    size_t mask = self->mask;
    if (line_table_grow(self, length) < 0) return -1;
    if (self->mask != mask) {  /* rehashed: find the empty slot again */
        i = h & self->mask;
        while (self->slots[i].id != 0) i = (i + 1) & self->mask;
    }
    Py_ssize_t id = self->count++;
    memcpy(self->arena + self->arena_used, key, length);
    self->slots[i] = (LineSlot){h, self->arena_used, (uint32_t)id + 1, (uint32_t)length};
    self->arena_used += length;
    self->rows[id] = (LineRow){NULL, 0};
    *added = 1;
    return id;
}

/* claim(block) -> (ids, first_new, new): block holds lines joined by \n (no newline after the last); ids: each
 * line's id (uint32, native order, as bytes); new: the keys met for the first time, whose ids run from first_new. */
static PyObject *LineTable_claim(LineTable *self, PyObject *args) {
    Py_buffer block;
    if (!PyArg_ParseTuple(args, "y*", &block)) return NULL;
    PyObject *ids = NULL, *new = NULL, *result = NULL;
    const char *at = block.buf, *end = (const char *)block.buf + block.len;
    Py_ssize_t lines = 1, first_new = self->count;
    for (const char *p = at; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) lines++;
    ids = PyBytes_FromStringAndSize(NULL, lines * (Py_ssize_t)sizeof(uint32_t));
    new = PyList_New(0);
    if (ids == NULL || new == NULL) goto done;
    uint32_t *line_ids = (uint32_t *)PyBytes_AS_STRING(ids);
    for (Py_ssize_t n = 0; n < lines; n++) {
        const char *stop = memchr(at, '\n', (size_t)(end - at));
        const char *next = stop == NULL ? end : stop + 1;
        if (stop == NULL) stop = end;
        while (stop > at && stop[-1] == '\r') stop--;
        int added;
        Py_ssize_t id = line_table_id(self, at, (size_t)(stop - at), &added);
        if (id < 0) goto done;
        if (id >= UINT32_MAX) { PyErr_SetString(PyExc_OverflowError, "LineTable: too many lines"); goto done; }
        line_ids[n] = (uint32_t)id;
        if (added) {
            PyObject *key = PyBytes_FromStringAndSize(at, stop - at);
            if (key == NULL || PyList_Append(new, key) < 0) { Py_XDECREF(key); goto done; }
            Py_DECREF(key);
        }
        at = next;
    }
    result = Py_BuildValue("(OnO)", ids, first_new, new);
done:
    Py_XDECREF(ids);
    Py_XDECREF(new);
    PyBuffer_Release(&block);
    return result;
}

/* fill(first_new, tails, kinds): the tail (bytes or None) and kind of the ids from first_new on. */
static PyObject *LineTable_fill(LineTable *self, PyObject *args) {
    Py_ssize_t first;
    PyObject *tails, *kinds;
    if (!PyArg_ParseTuple(args, "nO!O!", &first, &PyList_Type, &tails, &PyList_Type, &kinds)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(tails);
    if (PyList_GET_SIZE(kinds) != n || first < 0 || first + n > self->count) {
        PyErr_SetString(PyExc_ValueError, "LineTable.fill: ids out of range, or tails and kinds differ in length");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *tail = PyList_GET_ITEM(tails, i);
        long kind = PyLong_AsLong(PyList_GET_ITEM(kinds, i));
        if (kind == -1 && PyErr_Occurred()) return NULL;
        if ((tail != Py_None && !PyBytes_Check(tail)) || kind < 0 || kind > INT32_MAX) {
            PyErr_SetString(PyExc_TypeError, "LineTable.fill: a tail must be bytes or None and a kind an int >= 0");
            return NULL;
        }
        Py_INCREF(tail);
        Py_XSETREF(self->rows[first + i].tail, tail);
        self->rows[first + i].kind = (int32_t)kind;
    }
    Py_RETURN_NONE;
}

/* rows(ids, first_line, head, counts) -> bytes: for the i-th id, head + str(first_line + i) + its tail, skipped
 * where the tail is None; counts[kind] += 1 for each (counts: a writable array of int64). */
static PyObject *LineTable_rows(LineTable *self, PyObject *args) {
    Py_buffer ids, head, counts;
    long long first_line;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*Ly*w*", &ids, &first_line, &head, &counts)) return NULL;
    const uint32_t *line_ids = ids.buf;
    Py_ssize_t lines = ids.len / (Py_ssize_t)sizeof(uint32_t), kinds = counts.len / (Py_ssize_t)sizeof(int64_t);
    Py_ssize_t total = 0;
    int64_t *tally = counts.buf;
    for (Py_ssize_t i = 0; i < lines; i++) {
        uint32_t id = line_ids[i];
        PyObject *tail = (Py_ssize_t)id < self->count ? self->rows[id].tail : NULL;
        if (tail == NULL || self->rows[id].kind >= kinds) {
            PyErr_Format(PyExc_KeyError, "LineTable.rows: line %lld has no row yet", first_line + i);
            goto done;
        }
        if (tail != Py_None) total += head.len + 20 + PyBytes_GET_SIZE(tail);
    }
    result = PyBytes_FromStringAndSize(NULL, total);
    if (result == NULL) goto done;
    char *out = PyBytes_AS_STRING(result), *to = out;
    for (Py_ssize_t i = 0; i < lines; i++) {
        const LineRow *row = &self->rows[line_ids[i]];
        PyObject *tail = row->tail;
        tally[row->kind]++;
        if (tail == Py_None) continue;
        memcpy(to, head.buf, head.len); to += head.len;
        to += write_number(to, first_line + i);
        memcpy(to, PyBytes_AS_STRING(tail), PyBytes_GET_SIZE(tail)); to += PyBytes_GET_SIZE(tail);
    }
    _PyBytes_Resize(&result, to - out);
done:
    PyBuffer_Release(&ids);
    PyBuffer_Release(&head);
    PyBuffer_Release(&counts);
    return result;
}

static Py_ssize_t LineTable_length(LineTable *self) { return self->count; }

static PyMethodDef LineTable_methods[] = {
    {"claim", (PyCFunction)LineTable_claim, METH_VARARGS,
     "claim(block) -> (ids, first_new, new): each line's id, and the keys met for the first time"},
    {"fill", (PyCFunction)LineTable_fill, METH_VARARGS,
     "fill(first_new, tails, kinds): the row tails and kinds of the ids from first_new on"},
    {"rows", (PyCFunction)LineTable_rows, METH_VARARGS,
     "rows(ids, first_line, head, counts) -> bytes: the rows of a claimed block, counted by kind"},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods LineTable_sequence = {.sq_length = (lenfunc)LineTable_length};

static PyTypeObject LineTableType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "impostor._kernel.LineTable",
    .tp_basicsize = sizeof(LineTable),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The distinct lines of a scan's text inputs and their row tails (see lines.LineTable).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)LineTable_init,
    .tp_dealloc = (destructor)LineTable_dealloc,
    .tp_methods = LineTable_methods,
    .tp_as_sequence = &LineTable_sequence,
};

static PyMethodDef kernel_functions[] = {
    {"join_rows", (PyCFunction)join_rows, METH_VARARGS,
     "join_rows(head, numbers, sep, texts, tail) -> bytes: head + str(number) + sep + text + tail, row after row"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef kernel_module = {
    PyModuleDef_HEAD_INIT, "impostor._kernel",
    "The compiled kernel of impostor (its Python twin: impostor._kernel_py).",
    -1, kernel_functions};

PyMODINIT_FUNC PyInit__kernel(void) {
    if (PyType_Ready(&AlignerType) < 0 || PyType_Ready(&SearcherType) < 0 || PyType_Ready(&ScreenType) < 0 ||
        PyType_Ready(&LineTableType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&kernel_module);
    if (module == NULL) return NULL;
    if (PyModule_AddIntConstant(module, "TOKEN_FIELDS", TOKEN_FIELDS) < 0 ||
        PyModule_AddIntConstant(module, "READINGS", READINGS) < 0 ||
        PyModule_AddIntConstant(module, "MAX_SCREENED", MAX_SCREENED) < 0 ||
        PyModule_AddIntConstant(module, "MAX_WORD", MAX_WORD) < 0 ||
        PyModule_AddIntConstant(module, "MAX_PINYIN_RUN", MAX_PINYIN_RUN) < 0 ||
        PyModule_AddIntConstant(module, "MAX_SYLLABLE", MAX_SYLLABLE) < 0)
        goto fail;
    {
        Py_ssize_t count = sizeof(CHANNEL_NAMES) / sizeof(CHANNEL_NAMES[0]);
        PyObject *channels = PyTuple_New(count);
        if (channels == NULL) goto fail;
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *name = PyUnicode_FromString(CHANNEL_NAMES[i]);
            if (name == NULL) { Py_DECREF(channels); goto fail; }
            PyTuple_SET_ITEM(channels, i, name);
        }
        if (PyModule_AddObject(module, "CHANNELS", channels) < 0) { Py_DECREF(channels); goto fail; }
    }
    if ((int)(sizeof(CHANNEL_NAMES) / sizeof(CHANNEL_NAMES[0])) != DELETED + 1) {
        PyErr_SetString(PyExc_ImportError, "impostor._kernel: CHANNEL_NAMES does not match the channel enum");
        goto fail;
    }
    Py_INCREF(&AlignerType);
    if (PyModule_AddObject(module, "Aligner", (PyObject *)&AlignerType) < 0) { Py_DECREF(&AlignerType); goto fail; }
    Py_INCREF(&SearcherType);
    if (PyModule_AddObject(module, "Searcher", (PyObject *)&SearcherType) < 0) { Py_DECREF(&SearcherType); goto fail; }
    Py_INCREF(&ScreenType);
    if (PyModule_AddObject(module, "Screen", (PyObject *)&ScreenType) < 0) { Py_DECREF(&ScreenType); goto fail; }
    Py_INCREF(&LineTableType);
    if (PyModule_AddObject(module, "LineTable", (PyObject *)&LineTableType) < 0) {
        Py_DECREF(&LineTableType);
        goto fail;
    }
    return module;
fail:
    Py_DECREF(module);
    return NULL;
}
