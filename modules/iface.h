/* iface — a module's name interface: what an importer's canonicalization
 * needs to know, computed from the AST alone (LANGUAGE.md sections 2-3).
 *
 * Sealed (immutable) once the parse task returns; any number of workers may
 * read it afterwards.  It holds no pointer but `strings` (the base of its own
 * string blob); every name is an IStr offset into that blob of a
 * NUL-terminated string, so the whole thing could be written to disk as is.
 *
 * Only what the module *exposes* is listed.  A name in the exposing list that
 * the module does not define is left out (canonicalize of the module itself
 * reports E0205).  A declaration that failed to parse but whose name is known
 * is listed with poisoned = 1: importers resolve it without reports and give
 * it the error type.  poisoned_types says whether any exposed type is (an
 * importer's unknown qualified constructor is then silent), so that reading
 * it costs no scan.
 */
#ifndef COORD_MODULES_IFACE_H
#define COORD_MODULES_IFACE_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t IStr;
#define ISTR_NONE UINT32_MAX

typedef struct IfaceImport {
    IStr module;            /* "Util.Lists" */
    IStr alias;             /* "L", or ISTR_NONE */
    uint32_t name_start;    /* span of the module name in the import line */
    uint32_t name_end;
    uint32_t import_start;  /* span of the whole import declaration */
    uint32_t import_end;
    uint8_t has_exposing;
    uint8_t broken;         /* the line failed to parse: not looked up, its names poisoned */
} IfaceImport;

typedef struct IfaceValue {
    IStr name;
    uint8_t poisoned;
} IfaceValue;

typedef struct IfaceType {
    IStr name;
    uint32_t arity;         /* number of type parameters */
    uint32_t ctor_first;    /* into ctors; only when ctors_exposed */
    uint32_t ctor_count;
    uint8_t ctors_exposed;  /* exposed as T(..) */
    uint8_t poisoned;
} IfaceType;

typedef struct IfaceCtor {
    IStr name;
    uint32_t arity;         /* payload count; 0 = a value, not a function */
    uint32_t type;          /* index into types */
} IfaceCtor;

typedef struct NameIface {
    IStr module;                 /* declared module name ("Geometry.Shapes") */
    uint8_t header_broken;       /* the header failed to parse: importers see
                                  * every name of the module poisoned */
    uint8_t poisoned_types;      /* some exposed type is poisoned (its
                                  * constructors are unknown) */
    uint32_t module_start, module_end; /* span of the name in the header */

    const IfaceImport *imports;  /* in source order, one per import line */
    uint32_t import_count;

    const IfaceValue *values;    /* exposed values, sorted by name bytes */
    uint32_t value_count;
    const IfaceType *types;      /* exposed types, sorted by name bytes */
    uint32_t type_count;
    const IfaceCtor *ctors;      /* constructors of T(..)-exposed types, grouped by type */
    uint32_t ctor_count;

    const char *strings;
    uint32_t strings_len;
} NameIface;

static inline const char *iface_str(const NameIface *f, IStr s)
{
    return s == ISTR_NONE ? 0 : f->strings + s;
}

/* Lookups by name bytes (binary search; no allocation).  Return the index or
 * UINT32_MAX.  iface_find_ctor searches the exposed constructors. */
uint32_t iface_find_value(const NameIface *f, const char *name, uint32_t len);
uint32_t iface_find_type(const NameIface *f, const char *name, uint32_t len);
uint32_t iface_find_ctor(const NameIface *f, const char *name, uint32_t len);

/* Fingerprint of the whole exposed interface: the module name, every
 * exposed value, type (arity, flags) and constructor (arity, type) by name.
 * Not the import list or spans.  No allocation.  (What an importer read of
 * it is recorded per name: modules/deps.h, iface_dep_fingerprint.) */
uint64_t iface_fingerprint(const NameIface *f);

/* Builds the interface of a parsed module (called by parse_module; exposed
 * for tests).  Everything sealed into `keep`; temporaries in `scratch`.
 * NULL on allocation failure (or a longjmp to the arenas' oom target). */
struct Ast;
struct Arena;
const NameIface *iface_build(const struct Ast *ast, struct Arena *keep, struct Arena *scratch);

#endif
