//! Between a function's JSON (the shape the SM-SR's JSON API and the
//! [`crate::Download`] use) and its SOAP element, by the WSDL's schema
//! ([`crate::wsdl::Schema`]): children in their sequence's order, a list
//! as the repeated element (or, for a type whose one child repeats, such
//! as `POL2Type`'s `Rule`, as that child), `xs:boolean` and the integer
//! types as JSON booleans and numbers. A JSON key the schema does not
//! declare (compared without case: the JSON API writes `MoreToDo` where
//! SGP.02 writes `moreToDo`) or an element it does not is refused: the
//! WSDL is the contract.

use serde_json::{Map, Value};
use smsr::soap::Element;
use smsr::soap::write;

use crate::wsdl::{Decl, Schema};

/// The one repeated child of a wrapper type (`POL2Type`: `Rule`).
fn wrapped<'a>(schema: &'a Schema, ty: &str) -> Option<&'a Decl> {
    match schema.sequence(ty) {
        Some([only]) if only.many => Some(only),
        _ => None,
    }
}

/// Appends `d` with value `v` (`null`: nothing).
fn write_decl(schema: &Schema, out: &mut String, d: &Decl, v: &Value) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::Array(items) if d.many => {
            items.iter().try_for_each(|i| write_one(schema, out, d, i))
        }
        Value::Array(_) => match wrapped(schema, &d.ty) {
            Some(inner) => {
                let mut body = String::new();
                write_decl(schema, &mut body, inner, v)?;
                element(out, &d.name, &body);
                Ok(())
            }
            None => Err(format!("{}: a list where the WSDL has one element", d.name)),
        },
        v => write_one(schema, out, d, v),
    }
}

fn element(out: &mut String, name: &str, inner: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    out.push_str(inner);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn write_one(schema: &Schema, out: &mut String, d: &Decl, v: &Value) -> Result<(), String> {
    match (schema.sequence(&d.ty), v) {
        (Some(seq), Value::Object(o)) => {
            let mut body = String::new();
            write_children(schema, &mut body, seq, o, &d.name)?;
            element(out, &d.name, &body);
            Ok(())
        }
        (Some(_), _) => Err(format!("{}: the WSDL has a structure here", d.name)),
        (None, Value::String(s)) => {
            write::text_element(out, &d.name, s);
            Ok(())
        }
        (None, Value::Bool(b)) => {
            write::text_element(out, &d.name, if *b { "true" } else { "false" });
            Ok(())
        }
        (None, Value::Number(n)) => {
            write::text_element(out, &d.name, &n.to_string());
            Ok(())
        }
        (None, _) => Err(format!("{}: a structure where the WSDL has text", d.name)),
    }
}

fn write_children(
    schema: &Schema,
    out: &mut String,
    seq: &[Decl],
    o: &Map<String, Value>,
    parent: &str,
) -> Result<(), String> {
    let decl_of = |k: &str| {
        seq.iter()
            .find(|d| d.name == k)
            .or_else(|| seq.iter().find(|d| d.name.eq_ignore_ascii_case(k)))
    };
    if let Some(k) = o.keys().find(|k| decl_of(k).is_none()) {
        return Err(format!("{parent}: the WSDL declares no element {k}"));
    }
    for d in seq {
        let v = o
            .iter()
            .find(|(k, _)| decl_of(k).is_some_and(|x| x.name == d.name));
        if let Some((_, v)) = v {
            write_decl(schema, out, d, v)?;
        }
    }
    Ok(())
}

/// The request element `gsma:{name}` (the SGP.02 namespace's prefix of
/// [`smsr::soap::write::envelope`]) of top-level element `name` from
/// `body`.
///
/// # Errors
/// `name` is not declared, or `body` does not fit its type.
pub fn request(schema: &Schema, name: &str, body: &Value) -> Result<String, String> {
    let d = schema
        .element(name)
        .ok_or_else(|| format!("the WSDL declares no element {name}"))?;
    let seq = schema
        .sequence(&d.ty)
        .ok_or_else(|| format!("{name} is no structure in the WSDL"))?;
    let o = body
        .as_object()
        .ok_or_else(|| format!("{name}: the body is no JSON object"))?;
    let mut inner = String::new();
    write_children(schema, &mut inner, seq, o, name)?;
    let mut out = String::new();
    element(&mut out, &format!("gsma:{name}"), &inner);
    Ok(out)
}

fn text_value(schema: &Schema, d: &Decl, text: &str) -> Result<Value, String> {
    let t = text.trim();
    Ok(match schema.builtin(&d.ty) {
        "boolean" => Value::Bool(match t {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(format!("{}: {t:?} is no xs:boolean", d.name)),
        }),
        "unsignedLong" | "unsignedInt" | "unsignedShort" | "unsignedByte" | "int" | "long"
        | "short" | "integer" | "nonNegativeInteger" | "positiveInteger" => Value::from(
            t.parse::<i64>()
                .map_err(|_| format!("{}: {t:?} is no integer", d.name))?,
        ),
        _ => Value::String(t.to_owned()),
    })
}

/// The JSON of element `e` declared as `d`.
///
/// # Errors
/// An undeclared element, or a value that is not of its type.
pub fn read(schema: &Schema, d: &Decl, e: &Element) -> Result<Value, String> {
    let Some(seq) = schema.sequence(&d.ty) else {
        return text_value(schema, d, &e.text);
    };
    if let Some(inner) = wrapped(schema, &d.ty) {
        return e
            .children
            .iter()
            .map(|c| {
                if c.name == inner.name {
                    read(schema, inner, c)
                } else {
                    Err(format!("{}: undeclared element {}", d.name, c.name))
                }
            })
            .collect::<Result<_, _>>()
            .map(Value::Array);
    }
    let mut o = Map::new();
    for c in &e.children {
        let cd = seq
            .iter()
            .find(|x| x.name == c.name)
            .ok_or_else(|| format!("{}: undeclared element {}", d.name, c.name))?;
        let v = read(schema, cd, c)?;
        if cd.many {
            match o
                .entry(c.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(v),
                _ => return Err(format!("{}: {} both one and many", d.name, c.name)),
            }
        } else if o.insert(c.name.clone(), v).is_some() {
            return Err(format!("{}: {} repeated", d.name, c.name));
        }
    }
    Ok(Value::Object(o))
}

/// The JSON of an answer element (its name declared at the top level).
///
/// # Errors
/// An undeclared element, or a value that is not of its type.
pub fn answer(schema: &Schema, e: &Element) -> Result<Value, String> {
    let d = schema
        .element(&e.name)
        .ok_or_else(|| format!("the WSDL declares no element {}", e.name))?;
    read(schema, d, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsdl::Contract;
    use serde_json::json;
    use smsr::soap::{Envelope, Limits, SOAP12_NS};

    const WSDL: &str = r#"<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
      xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:t"><wsdl:types>
      <xs:schema targetNamespace="urn:t">
        <xs:simpleType name="EIDType"><xs:restriction base="xs:string"/></xs:simpleType>
        <xs:complexType name="RuleType"><xs:sequence><xs:element name="Action" type="xs:string"/>
          </xs:sequence></xs:complexType>
        <xs:complexType name="PolType"><xs:sequence>
          <xs:element name="Rule" type="tns:RuleType" minOccurs="0" maxOccurs="unbounded"/>
          </xs:sequence></xs:complexType>
        <xs:element name="F"><xs:complexType><xs:sequence>
          <xs:element name="Eid" type="tns:EIDType"/><xs:element name="Iccid" type="xs:string" maxOccurs="unbounded"/>
          <xs:element name="Pol2" type="tns:PolType" minOccurs="0"/>
          <xs:element name="moreToDo" type="xs:boolean" minOccurs="0"/>
          <xs:element name="Memory" type="xs:unsignedInt" minOccurs="0"/>
        </xs:sequence></xs:complexType></xs:element>
      </xs:schema></wsdl:types></wsdl:definitions>"#;

    fn schema() -> Schema {
        Contract::parse(WSDL).unwrap().schema
    }

    #[test]
    fn a_request_follows_the_sequence_and_round_trips() {
        let s = schema();
        let body = json!({"MoreToDo": true, "Memory": 16384, "Pol2": [{"Action": "DELETE"}],
                          "Iccid": ["1", "2"], "Eid": "89<&"});
        let x = request(&s, "F", &body).unwrap();
        assert_eq!(
            x,
            "<gsma:F><Eid>89&lt;&amp;</Eid><Iccid>1</Iccid><Iccid>2</Iccid>\
             <Pol2><Rule><Action>DELETE</Action></Rule></Pol2><moreToDo>true</moreToDo>\
             <Memory>16384</Memory></gsma:F>"
        );
        let env = format!(
            "<e:Envelope xmlns:e=\"{SOAP12_NS}\" xmlns:gsma=\"urn:t\"><e:Body>{x}</e:Body></e:Envelope>"
        );
        let e = Envelope::parse(env.as_bytes(), &Limits::DEFAULT).unwrap();
        let back = answer(&s, &e.body).unwrap();
        assert_eq!(
            back,
            json!({"moreToDo": true, "Memory": 16384, "Pol2": [{"Action": "DELETE"}],
                   "Iccid": ["1", "2"], "Eid": "89<&"})
        );
    }

    #[test]
    fn what_the_schema_does_not_declare_is_refused() {
        let s = schema();
        for bad in [
            json!({"Eid": "1", "Extra": "x"}),
            json!({"Eid": {"a": 1}}),
            json!({"Eid": ["1", "2"]}),
            json!([1]),
        ] {
            assert!(request(&s, "F", &bad).is_err(), "{bad}");
        }
        assert!(request(&s, "G", &json!({})).is_err());
        let env = format!(
            "<e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Body><F><Eid>1</Eid><Memory>x</Memory></F></e:Body></e:Envelope>"
        );
        let e = Envelope::parse(env.as_bytes(), &Limits::DEFAULT).unwrap();
        assert!(answer(&s, &e.body).unwrap_err().contains("Memory"));
        let env = format!(
            "<e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Body><F><Eid>1</Eid><Eid>2</Eid></F></e:Body></e:Envelope>"
        );
        let e = Envelope::parse(env.as_bytes(), &Limits::DEFAULT).unwrap();
        assert!(answer(&s, &e.body).unwrap_err().contains("repeated"));
    }
}
