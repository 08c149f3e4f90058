#include "proto/framed_codec.h"
